import type { Logger } from '@embedline/config';

/**
 * SIGTERM (Kubernetes, docker stop) and SIGINT (Ctrl-C) stop the worker gracefully: the shards in
 * hand finish and are acknowledged, nothing new is taken. A second signal, or a drain longer than
 * the grace period, exits at once; unfinished shards are then picked up again by another worker
 * when their locks expire (BullMQ's stalled-job recovery), so nothing is lost either way.
 */
export function onShutdown(log: Logger, drain: () => Promise<void>, graceMs = 120_000): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing the shards in hand, then exiting`);
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
