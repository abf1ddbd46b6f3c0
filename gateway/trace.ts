import { channel } from 'node:diagnostics_channel';

/**
 * Points on an alert's way through the gateway, as diagnostics channels (`node:diagnostics_channel`):
 * they cost a property read while nobody listens. The alert bench times each stage from them
 * (`BENCH_TRACE=1 node --import tsx bench/alerts.ts`).
 * - `cgw:mqtt:received` `{ topic }`: a publish reached the embedded broker's hook;
 * - `cgw:alert:commit` `{ device, rule, phase: 'start' | 'end' }`: the transaction of an alert change;
 * - `cgw:alert:publish` `{ topic }`: the gateway handed a message (an alert) to the broker.
 */
export const traceReceived = channel('cgw:mqtt:received');
export const traceCommit = channel('cgw:alert:commit');
export const tracePublish = channel('cgw:alert:publish');
