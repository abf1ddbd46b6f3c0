import type { Logger } from '../log.ts';

/**
 * Waits for SIGINT or SIGTERM, then runs `stop` once. A second signal while stopping exits at
 * once, for the operator whose shutdown hangs.
 */
export function untilSignalled(log: Logger, stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: stopping`);
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
