import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../gateway/errors.ts';
import { silentLogger } from '../../gateway/log.ts';
import { ManualClock } from '../../test/fixtures/dashboard-app.ts';
import { openAlertDatabase, type SqliteDatabase } from '../store/database.ts';
import { OutboxStore, type NewOutboxEntry, type OutboxEntry } from '../store/outbox-store.ts';
import { OutboxWorker } from './outbox-worker.ts';
import type { ChannelSender } from './senders.ts';

let dir: string;
let db: SqliteDatabase;
let store: OutboxStore;
let clock: ManualClock;
let worker: OutboxWorker | undefined;
const sent: string[] = [];
let failures: Record<string, Error | undefined> = {};

const sender = (channel: string): ChannelSender => ({
  async send(e: OutboxEntry) {
    const err = failures[channel];
    if (err) throw err;
    sent.push(`${channel}:${e.alertId}:${e.event}`);
  },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-outbox-'));
  db = openAlertDatabase(dir);
  store = new OutboxStore(db);
  clock = new ManualClock();
  sent.length = 0;
  failures = {};
});
afterEach(async () => {
  await worker?.stop();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

function startWorker(giveUpAfterMs = 3_600_000): OutboxWorker {
  worker = new OutboxWorker({
    store,
    senders: new Map(['a', 'b'].map((c) => [c, sender(c)])),
    clock,
    log: silentLogger(),
    backoff: { minMs: 1000, maxMs: 4000 },
    giveUpAfterMs,
  });
  worker.start();
  return worker;
}

const entry = (
  alertId: string,
  seq: number,
  channel: string,
  extra: Partial<NewOutboxEntry> = {},
): NewOutboxEntry => ({
  alertId,
  seq,
  event: seq === 1 ? 'fired' : 'resolved',
  channel,
  payload: '{}',
  state: 'pending',
  createdAt: clock.now(),
  notBefore: clock.now(),
  ...extra,
});

async function settle(advanceMs = 0): Promise<void> {
  clock.advance(advanceMs);
  await worker!.idle();
  worker!.pass();
  await worker!.idle();
}

describe('the outbox worker', () => {
  it('delivers each channel in order, and the same transition is queued once only', async () => {
    startWorker();
    expect(
      store.enqueue([entry('x', 1, 'a'), entry('x', 1, 'b'), entry('x', 2, 'a'), entry('x', 1, 'a')]),
    ).toHaveLength(3);
    await settle();
    expect(sent.filter((s) => s.startsWith('a:'))).toEqual(['a:x:fired', 'a:x:resolved']);
    expect(sent).toHaveLength(3);
    expect(store.counts()).toMatchObject({ sent: 3, pending: 0 });
  });

  it('retries a failing channel with backoff, holding its later entries, not the other channel', async () => {
    startWorker();
    failures.a = new GatewayError('CGW_RULE_NOTIFY_FAILED', 'down');
    store.enqueue([entry('x', 1, 'a'), entry('y', 1, 'a'), entry('x', 1, 'b')]);
    await settle();
    expect(sent).toEqual(['b:x:fired']);
    const head = store.head('a', clock.now())!;
    expect(head).toMatchObject({ alertId: 'x', attempts: 1, lastError: 'down' });
    expect(head.nextAt - clock.now()).toBeGreaterThanOrEqual(500);
    expect(head.nextAt - clock.now()).toBeLessThanOrEqual(1000);
    failures.a = undefined;
    await settle(400);
    expect(sent).toEqual(['b:x:fired']);
    await settle(600);
    expect(sent).toEqual(['b:x:fired', 'a:x:fired', 'a:y:fired']);
  });

  it('lets a held-back entry wait without blocking the ones queued after it', async () => {
    startWorker();
    store.enqueue([entry('x', 2, 'a', { notBefore: clock.now() + 60_000 }), entry('y', 1, 'a')]);
    await settle();
    expect(sent).toEqual(['a:y:fired']);
    expect(store.cancelResolved('x')).toBe(1);
    await settle(60_000);
    expect(sent).toEqual(['a:y:fired']);
    expect(store.counts()).toMatchObject({ cancelled: 1, pending: 0 });
  });

  it('gives up at once on a refusal, and after its time on a channel that never comes back', async () => {
    startWorker(10_000);
    failures.a = new GatewayError('CGW_RULE_NOTIFY_REFUSED', 'HTTP 404');
    failures.b = new GatewayError('CGW_RULE_NOTIFY_FAILED', 'timeout');
    store.enqueue([entry('x', 1, 'a'), entry('x', 1, 'b')]);
    await settle();
    expect(store.counts()).toMatchObject({ dead: 1, pending: 1 });
    for (let i = 0; i < 10; i++) await settle(4000);
    expect(store.counts()).toMatchObject({ dead: 2, pending: 0 });
    expect(store.forAlert('x').map((e) => [e.channel, e.state, e.lastError])).toEqual([
      ['a', 'dead', 'HTTP 404'],
      ['b', 'dead', 'timeout'],
    ]);
  });
});

describe('entries offered as they are committed', () => {
  it('go at once on a free channel, with no pass in between', () => {
    startWorker();
    const queued = store.enqueue([entry('x', 1, 'a'), entry('x', 1, 'b')]);
    worker!.offer(queued);
    // The senders ran synchronously up to their first await: both are on their way already.
    return worker!.idle().then(() => {
      expect(sent.sort()).toEqual(['a:x:fired', 'b:x:fired']);
      expect(store.counts()).toMatchObject({ sent: 2, pending: 0 });
    });
  });

  it('wait behind an older entry of their channel, and behind one being sent, in order', async () => {
    const w = startWorker();
    failures.a = new GatewayError('CGW_RULE_NOTIFY_FAILED', 'down');
    store.enqueue([entry('x', 1, 'a')]);
    await settle();
    expect(store.head('a', clock.now())).toMatchObject({ alertId: 'x', attempts: 1 });
    failures.a = undefined;
    // 'y' is newer than the failing 'x': offering it must not let it overtake.
    w.offer(store.enqueue([entry('y', 1, 'a')]));
    await w.idle();
    expect(sent).toEqual([]);
    await settle(1000);
    expect(sent).toEqual(['a:x:fired', 'a:y:fired']);
  });

  it('are not blocked by a held-back entry, and a held-back one is not sent early', async () => {
    const w = startWorker();
    const held = store.enqueue([entry('x', 2, 'a', { notBefore: clock.now() + 60_000 })]);
    w.offer(held);
    w.offer(store.enqueue([entry('y', 1, 'a')]));
    await w.idle();
    expect(sent).toEqual(['a:y:fired']);
    await settle(60_000);
    expect(sent).toEqual(['a:y:fired', 'a:x:resolved']);
  });

  it('leave nothing behind when the worker is stopped: a later start sends them', async () => {
    const w = startWorker();
    await w.stop();
    w.offer(store.enqueue([entry('x', 1, 'a')]));
    expect(sent).toEqual([]);
    startWorker();
    await settle();
    expect(sent).toEqual(['a:x:fired']);
  });
});
