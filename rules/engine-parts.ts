import { AckLinks } from './ack-link.ts';
import { AlertBook } from './alert-book.ts';
import type { AlertEngineOptions } from './engine.ts';
import { Notifier } from './notify/notifier.ts';
import { OutboxWorker } from './notify/outbox-worker.ts';
import { createSender } from './notify/senders.ts';
import { RecentEvents } from './recent-events.ts';
import { defaultNotify } from './schema/notify.ts';
import { AlertSnapshots } from './snapshots.ts';
import { AlertStore } from './store/alert-store.ts';
import { openAlertDatabase, type SqliteDatabase } from './store/database.ts';
import { OutboxStore } from './store/outbox-store.ts';

/** Everything the engine works with, wired once from its options. */
export interface EngineParts {
  db: SqliteDatabase;
  store: AlertStore;
  outbox: OutboxStore;
  links: AckLinks;
  notifier: Notifier;
  worker: OutboxWorker;
  book: AlertBook;
  snapshots: AlertSnapshots;
  events: RecentEvents;
}

export function buildEngineParts(o: AlertEngineOptions): EngineParts {
  const db = openAlertDatabase(o.dataDir);
  const store = new AlertStore(db);
  const outbox = new OutboxStore(db);
  const notify = o.notify ?? defaultNotify();
  const links = AckLinks.fromDataDir(o.dataDir, notify.ackLinkTtl);
  const notifier = new Notifier({ notify, links, prefix: o.prefix });
  const now = () => o.clock.now();
  const senders = new Map(notify.channels.map((c) => [c.id, createSender(c, { publish: o.publish, now })]));
  const worker = new OutboxWorker({
    store: outbox,
    senders,
    clock: o.clock,
    log: o.log.child({ module: 'notify' }),
    backoff: { minMs: o.backoff?.minMs ?? notify.retry.min, maxMs: o.backoff?.maxMs ?? notify.retry.max },
    giveUpAfterMs: o.backoff?.giveUpAfterMs ?? notify.retry.giveUpAfter,
    onSent: o.onSent,
  });
  const book = new AlertBook({
    store,
    outbox,
    notifier,
    worker,
    series: o.series,
    log: o.log,
    clock: o.clock,
    defer: o.defer,
  });
  const snapshots = new AlertSnapshots({ dataDir: o.dataDir, source: o.snapshots, log: o.log });
  return { db, store, outbox, links, notifier, worker, book, snapshots, events: new RecentEvents() };
}
