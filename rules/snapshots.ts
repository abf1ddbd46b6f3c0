import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../gateway/errors.ts';
import type { Logger } from '../gateway/log.ts';
import type { SnapshotSource } from '../gateway/types.ts';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Correlation: when an alert fires on a device that has cameras linked to it, a snapshot from
 * each is taken right then and kept under `<dataDir>/snapshots/<alert id>/<camera>.jpg`. The
 * notification does not wait for it (a camera may take seconds); the alert records what it got.
 */
export class AlertSnapshots {
  readonly #dir: string;
  readonly #source: SnapshotSource | undefined;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: { dataDir: string; source?: SnapshotSource; log: Logger; timeoutMs?: number }) {
    this.#dir = join(options.dataDir, 'snapshots');
    this.#source = options.source;
    this.#log = options.log;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get enabled(): boolean {
    return this.#source !== undefined;
  }

  /** Takes one snapshot per camera; resolves with the cameras whose picture was stored. */
  take(alertId: string, cameras: readonly string[]): Promise<string[]> {
    const source = this.#source;
    if (!source || !cameras.length || !SAFE_ID.test(alertId)) return Promise.resolve([]);
    const work = Promise.all(
      cameras
        .filter((c) => SAFE_ID.test(c))
        .map(async (camera) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            const jpeg = await Promise.race([
              source.snapshot(camera),
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`no answer in ${this.#timeoutMs} ms`)),
                  this.#timeoutMs,
                );
              }),
            ]);
            const dir = join(this.#dir, alertId);
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, `${camera}.jpg`), jpeg);
            return camera;
          } catch (err) {
            this.#log.warn(
              { alert: alertId, camera },
              `no snapshot from ${camera} for alert ${alertId}: ${errorMessage(err)}`,
            );
            return undefined;
          } finally {
            clearTimeout(timer);
          }
        }),
    ).then((taken) => taken.filter((c): c is string => c !== undefined));
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  read(alertId: string, camera: string): Buffer | undefined {
    if (!SAFE_ID.test(alertId) || !SAFE_ID.test(camera)) return undefined;
    const path = join(this.#dir, alertId, `${camera}.jpg`);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  /** Waits for snapshots being taken (on stop). */
  async settle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }
}
