import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.ts';
import { createLogger } from '../log.ts';
import { keepAuditFor } from './audit-retention.ts';
import { openAuthStore, type AuthStore } from './auth-store.ts';

const DAY = 86_400_000;
let store: AuthStore | undefined;
afterEach(() => store?.close());

function setup(entries: number[]) {
  store = openAuthStore(':memory:');
  for (const ts of entries)
    store.audit.record({
      ts,
      username: 'duty',
      action: 'login',
      target: null,
      address: '10.0.0.9',
      detail: null,
    });
  let now = 400 * DAY;
  const lines: Array<{ msg: string; deleted?: number }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const audit = store.audit;
  const count = () => audit.list({ limit: 1_000_000 }).length;
  return {
    audit,
    count,
    lines,
    clock: { now: () => now },
    advance: (ms: number) => (now += ms),
    log: createLogger({ level: 'info', destination }),
  };
}

describe('keepAuditFor', () => {
  it('deletes what is older than the retention, a chunk per turn, and keeps the rest', async () => {
    // 2,500 entries from 300 days ago, 3 from yesterday; keep 180 days.
    const s = setup([
      ...Array.from({ length: 2500 }, (_, i) => 100 * DAY + i),
      399 * DAY,
      399 * DAY,
      399 * DAY,
    ]);
    const stop = keepAuditFor({ audit: s.audit, keepMs: 180 * DAY, clock: s.clock, log: s.log, chunk: 1000 });
    expect(s.count()).toBe(1503); // one chunk at once, the rest on later turns
    await waitFor(() => s.count() === 3, 'the old entries deleted');
    await waitFor(() => s.lines.some((l) => l.deleted === 2500), 'one line saying how many went');
    expect(s.audit.list({ limit: 10 }).every((e) => e.ts === 399 * DAY)).toBe(true);
    stop();
  });

  it('stops between chunks when asked, and passes again on its interval', async () => {
    const s = setup(Array.from({ length: 2500 }, (_, i) => 100 * DAY + i));
    const stop = keepAuditFor({ audit: s.audit, keepMs: 180 * DAY, clock: s.clock, log: s.log, chunk: 1000 });
    stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.count()).toBe(1500);

    const again = keepAuditFor({
      audit: s.audit,
      keepMs: 180 * DAY,
      clock: s.clock,
      log: s.log,
      everyMs: 20,
    });
    await waitFor(() => s.count() === 0, 'the rest deleted');
    s.audit.record({
      ts: 399 * DAY,
      username: 'duty',
      action: 'logout',
      target: null,
      address: null,
      detail: null,
    });
    s.advance(200 * DAY); // yesterday's entry is now past the retention: the next pass takes it
    await waitFor(() => s.count() === 0, 'the next pass');
    again();
  });
});
