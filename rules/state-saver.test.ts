import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../test/helpers/wait.ts';
import { StateSaver } from './state-saver.ts';
import { AlertStore } from './store/alert-store.ts';
import { openAlertDatabase, type SqliteDatabase } from './store/database.ts';

let dir: string;
let db: SqliteDatabase;
let store: AlertStore;
/** Rows written by each transaction, in order. */
let commits: number[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-saver-'));
  db = openAlertDatabase(dir);
  store = new AlertStore(db);
  commits = [];
  const put = store.putRuleState.bind(store);
  const transaction = store.transaction.bind(store);
  store.putRuleState = (...args) => {
    commits[commits.length - 1]!++;
    put(...args);
  };
  store.transaction = (fn) => {
    commits.push(0);
    return transaction(fn);
  };
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const dirty = (i: number, value = i) => ({
  rule: 'r',
  device: `d${i}`,
  hash: 'h',
  state: { t: 'threshold', v: value, pending: null, on: false },
  at: 1000 + i,
});

const saved = () => new Map(store.ruleStates().map((s) => [s.device, (s.state as { v: number }).v]));

describe('StateSaver', () => {
  it('writes an interval of states in chunks, one per turn of the event loop', async () => {
    const saver = new StateSaver(store, { flushMs: 5, chunkRows: 64 });
    for (let i = 0; i < 200; i++) saver.later(`k${i}`, dirty(i));
    // Queued during the first chunk, so it runs before the saver's next turn: what it sees is
    // what other work (an alarm arriving) would find between two chunks.
    let between: number[] | undefined;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) => {
      if (!between) setImmediate(() => (between = [...commits]));
      return transaction(fn);
    };
    await waitFor(() => saved().size === 200, 'all states written');
    expect(commits).toEqual([64, 64, 64, 8]);
    expect(between).toEqual([64]);
  });

  it('keeps the newest value of a state changed again while its interval is being written', async () => {
    const saver = new StateSaver(store, { flushMs: 5, chunkRows: 10 });
    for (let i = 0; i < 30; i++) saver.later(`k${i}`, dirty(i));
    await waitFor(() => commits.length >= 1, 'the first chunk');
    saver.later('k25', dirty(25, 999)); // not yet written: keeps its place, takes the new value
    saver.later('k0', dirty(0, 777)); // written already: goes again
    await waitFor(() => saved().get('d0') === 777, 'the state written again');
    expect(saved().get('d25')).toBe(999);
    expect(saved().size).toBe(30);
  });

  it('flush() writes everything waiting at once and stops the chunks still to come', async () => {
    const saver = new StateSaver(store, { flushMs: 5, chunkRows: 10 });
    for (let i = 0; i < 50; i++) saver.later(`k${i}`, dirty(i));
    saver.flush();
    expect(commits).toEqual([50]);
    expect(saved().size).toBe(50);
    await new Promise((r) => setTimeout(r, 30));
    expect(commits).toEqual([50]); // the timer was cleared: nothing written twice
  });

  it('now() writes at once and drops the same state waiting for its interval', async () => {
    const saver = new StateSaver(store, { flushMs: 5 });
    saver.later('k1', dirty(1, 1));
    store.transaction(() => saver.now('k1', dirty(1, 2)));
    await new Promise((r) => setTimeout(r, 30));
    expect(saved().get('d1')).toBe(2);
    expect(commits).toEqual([1]);
  });

  it('runs each chunk through defer: nothing is written until the deferred work runs', async () => {
    const waiting: Array<() => void> = [];
    const saver = new StateSaver(store, { flushMs: 5, chunkRows: 10, defer: (work) => waiting.push(work) });
    for (let i = 0; i < 15; i++) saver.later(`k${i}`, dirty(i));
    await waitFor(() => waiting.length === 1, 'the first chunk handed to defer');
    expect(commits).toEqual([]);
    waiting.shift()!();
    expect(commits).toEqual([10]);
    await waitFor(() => waiting.length === 1, 'the second chunk handed to defer');
    waiting.shift()!();
    expect(commits).toEqual([10, 5]);
    saver.later('k99', dirty(99));
    saver.flush();
    expect(saved().size).toBe(16);
  });
});
