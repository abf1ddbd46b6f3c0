// The spool's background ack write racing close(): the rename is held here until the test lets it
// go, so close() can come while it is under way (a few microseconds in real life).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Spool } from './spool.ts';

const gate = vi.hoisted(() => ({
  hold: false,
  started: undefined as (() => void) | undefined,
  release: undefined as (() => void) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const rename = async (from: string, to: string): Promise<void> => {
    if (gate.hold) {
      await new Promise<void>((resolve) => {
        gate.release = resolve;
        gate.started?.();
      });
    }
    return real.rename(from, to);
  };
  return { ...real, default: { ...real, rename }, rename };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-spool-ack-'));
  gate.hold = false;
});
afterEach(() => {
  gate.release?.();
  rmSync(dir, { recursive: true, force: true });
});

const record = (i: number) => Buffer.from(`m,device=d${i} v=${i} ${1000 + i}\n`);

describe('Spool ack position', () => {
  it('stays the newest when a background rename lands after close()', async () => {
    const spool = Spool.open({ dir, fsyncMs: 50 });
    for (let i = 0; i < 10; i++) spool.append(record(i), 1);
    gate.hold = true;
    const renaming = new Promise<void>((resolve) => (gate.started = resolve));
    spool.ack(spool.readBatch(1)!);
    spool.ack(spool.readBatch(1)!);
    await renaming; // the background write of "2 acknowledged" is renaming its file now
    for (let i = 0; i < 3; i++) spool.ack(spool.readBatch(1)!);
    spool.close(); // writes "5 acknowledged"
    gate.hold = false;
    gate.release!(); // the older rename lands after it
    await spool.settled();

    expect(readdirSync(dir).filter((f) => f.startsWith('ack'))).toEqual(['ack']);
    const reopened = Spool.open({ dir, fsyncMs: 50 });
    expect(reopened.recovery.points).toBe(5);
    const batch = reopened.readBatch(1)!;
    expect(batch.payload.toString()).toBe(record(5).toString());
    reopened.close();
  });

  it('settles at once when no background write is under way', async () => {
    const spool = Spool.open({ dir, fsyncMs: 50 });
    spool.append(record(0), 1);
    spool.ack(spool.readBatch(1)!);
    spool.close();
    await spool.settled();
    expect(Spool.open({ dir, fsyncMs: 50 }).recovery.points).toBe(0);
  });
});
