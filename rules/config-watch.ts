import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { formatProblems, parseConfig } from '../gateway/config/load.ts';
import type { Config } from '../gateway/config/schema.ts';
import { errorMessage } from '../gateway/errors.ts';
import type { Logger } from '../gateway/log.ts';
import type { Rule } from './schema/rule.ts';

export interface RulesTarget {
  replace(rules: readonly Rule[]): { rules: number; added: string[]; changed: string[]; removed: string[] };
}

export interface WatchOptions {
  /** The config the gateway runs with (what needs a restart is compared against it). */
  current: Config;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Editors write a file in several steps: wait this long after the last change (default 300 ms). */
  settleMs?: number;
  /** Also reload on SIGHUP (default true). */
  sighup?: boolean;
}

/**
 * Reloads the rules when the config file changes or on SIGHUP. The whole file is validated as at
 * start; a file with any problem changes nothing: the problems are logged with their paths and
 * lines and the running rules stay. Only `rules` take effect: other changes are logged as needing
 * a restart. Returns the function that stops watching.
 */
export function watchRules(path: string, target: RulesTarget, options: WatchOptions): () => void {
  const { log } = options;
  let current = options.current;
  let lastText: string | undefined;
  const reload = (why: string): void => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      log.error(
        `rules not reloaded (${why}): cannot read ${path}: ${errorMessage(err)}; the previous rules keep running`,
      );
      return;
    }
    if (why === 'file changed' && text === lastText) return;
    lastText = text;
    const result = parseConfig(text, options.env ?? process.env);
    if (!result.ok) {
      log.error(
        { problems: result.problems },
        `rules not reloaded (${why}): ${path} has ${result.problems.length} problem(s); the previous rules keep running\n${formatProblems(result.problems, path)}`,
      );
      return;
    }
    const next = result.config;
    const { rules: _r, ...restNext } = next;
    const { rules: _c, ...restCurrent } = current;
    if (JSON.stringify(restNext) !== JSON.stringify(restCurrent))
      log.warn(`${path}: changes outside "rules" take effect after a restart`);
    const r = target.replace(next.rules);
    current = { ...current, rules: next.rules };
    log.info(
      { added: r.added, changed: r.changed, removed: r.removed },
      `rules reloaded (${why}): ${r.rules} rules`,
    );
  };

  let timer: NodeJS.Timeout | undefined;
  const onChange = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => reload('file changed'), options.settleMs ?? 300);
  };
  let watcher: FSWatcher | undefined;
  try {
    // The directory, not the file: editors replace files by renaming, which ends a file watch.
    watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) onChange();
    });
    watcher.on('error', (err) =>
      log.warn(`stopped watching ${path}: ${errorMessage(err)} (SIGHUP still reloads)`),
    );
  } catch (err) {
    log.warn(`cannot watch ${path}: ${errorMessage(err)} (SIGHUP still reloads)`);
  }
  try {
    lastText = readFileSync(path, 'utf8');
  } catch {
    /* reported on the first reload */
  }
  const onHup = (): void => reload('SIGHUP');
  if (options.sighup !== false) process.on('SIGHUP', onHup);
  return () => {
    clearTimeout(timer);
    watcher?.close();
    process.off('SIGHUP', onHup);
  };
}
