import type { Logger } from './logger.ts';

export interface ShutdownPolicy {
  /** What the process finishes before it exits, in the log line ("finishing the shards in hand"). */
  readonly draining: string;
  /** Longest drain before exiting anyway. */
  readonly graceMs: number;
}

/**
 * SIGTERM (Kubernetes, docker stop) and SIGINT (Ctrl-C) stop an app gracefully: `drain` stops taking new
 * work, lets what is in flight finish and closes what the app holds. A second signal, or a drain longer
 * than the grace period, exits at once (code 1). Every app of Embedline shares this one policy.
 */
export function onShutdown(log: Logger, policy: ShutdownPolicy, drain: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: ${policy.draining}, then exiting`);
    const timer = setTimeout(() => {
      log.error(`drain took longer than ${policy.graceMs} ms: exiting`);
      process.exit(1);
    }, policy.graceMs);
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
