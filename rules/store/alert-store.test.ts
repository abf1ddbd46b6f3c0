import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertStore } from './alert-store.ts';
import { openAlertDatabase, type SqliteDatabase } from './database.ts';

let dir: string;
let db: SqliteDatabase;
let store: AlertStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-alert-store-'));
  db = openAlertDatabase(dir);
  store = new AlertStore(db);
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const states = () => store.ruleStates().map((s) => s.device);

describe('work after a commit', () => {
  it('runs once the outermost transaction has committed: urgent work first, each kind in order', () => {
    const seen: string[] = [];
    store.transaction(() => {
      store.putRuleState('r', 'd1', 'h', {}, 1);
      store.afterCommit(() => seen.push(`later 1 sees ${states().length} row(s) committed`));
      store.transaction(() => {
        store.putRuleState('r', 'd2', 'h', {}, 2);
        store.afterCommit(() => seen.push('urgent 1'), true);
        store.afterCommit(() => seen.push('later 2'));
      });
      store.afterCommit(() => seen.push('urgent 2'), true);
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['urgent 1', 'urgent 2', 'later 1 sees 2 row(s) committed', 'later 2']);
  });

  it('runs at once outside a transaction, and never for one rolled back', () => {
    const seen: string[] = [];
    store.afterCommit(() => seen.push('now'));
    expect(seen).toEqual(['now']);
    expect(() =>
      store.transaction(() => {
        store.putRuleState('r', 'd1', 'h', {}, 1);
        store.afterCommit(() => seen.push('never'), true);
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(states()).toEqual([]);
    store.transaction(() => store.afterCommit(() => seen.push('next')));
    expect(seen).toEqual(['now', 'next']);
  });

  it('runs the rest when one piece throws, then reports the first error; the commit stands', () => {
    const seen: string[] = [];
    expect(() =>
      store.transaction(() => {
        store.putRuleState('r', 'd1', 'h', {}, 1);
        store.afterCommit(() => {
          throw new Error('first');
        }, true);
        store.afterCommit(() => {
          throw new Error('second');
        });
        store.afterCommit(() => seen.push('after both'));
      }),
    ).toThrow('first');
    expect(seen).toEqual(['after both']);
    expect(states()).toEqual(['d1']);
  });
});
