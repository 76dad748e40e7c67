import type { Logger } from '@embedline/config';

/**
 * SIGTERM (Kubernetes, docker stop) and SIGINT (Ctrl-C) stop the service gracefully: `drain` stops
 * accepting, lets in-flight requests finish and closes what the service holds. A second signal, or a
 * drain longer than `graceMs`, exits at once. (Same policy as the worker's shutdown.)
 */
export function onShutdown(log: Logger, graceMs: number, drain: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining in-flight requests, then exiting`);
    const timer = setTimeout(() => {
      log.error(`drain took longer than ${graceMs} ms: exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    drain().then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        log.error(`error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
