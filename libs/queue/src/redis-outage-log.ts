import type { EventEmitter } from 'node:events';

/** The two log calls an outage needs (a pino logger has them). */
export interface OutageLog {
  warn(fields: { err: unknown; failedAttempts: number }, message: string): void;
  info(fields: { failedAttempts: number; outageMs: number }, message: string): void;
}

export interface OutageLogOptions {
  /** While an outage lasts, how often to say it still does (default 60 s). */
  readonly reminderMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

/**
 * Logs a Redis connection's outages instead of its reconnect attempts. ioredis emits `error` on every
 * attempt (the API logged ~35 lines in 10 s while Redis was down); this logs the first error of an
 * outage, a reminder with the count of failed attempts every `reminderMs` while it lasts, and one line
 * when the connection is `ready` again. Returns a function that stops listening.
 */
export function logRedisOutages(
  client: EventEmitter,
  log: OutageLog,
  options: OutageLogOptions = {},
): () => void {
  const reminderMs = options.reminderMs ?? 60_000;
  const now = options.now ?? Date.now;
  let outageStart: number | undefined;
  let lastSaid = 0;
  let failedAttempts = 0;
  const onError = (error: unknown) => {
    failedAttempts += 1;
    const at = now();
    if (outageStart === undefined) {
      outageStart = lastSaid = at;
      log.warn(
        { err: error, failedAttempts },
        'redis connection lost; reconnecting (said again every minute while it lasts)',
      );
    } else if (at - lastSaid >= reminderMs) {
      lastSaid = at;
      log.warn(
        { err: error, failedAttempts },
        `redis still unreachable after ${Math.round((at - outageStart) / 1000)} s`,
      );
    }
  };
  const onReady = () => {
    if (outageStart !== undefined) {
      log.info({ failedAttempts, outageMs: now() - outageStart }, 'redis connection restored');
    }
    outageStart = undefined;
    failedAttempts = 0;
  };
  client.on('error', onError);
  client.on('ready', onReady);
  return () => {
    client.off('error', onError);
    client.off('ready', onReady);
  };
}

/** Node's codes for a connection that could not be made or was lost. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Whether an error is a Redis connection failing (could not connect, lost, a command on a closed connection):
 * what logRedisOutages reports once per outage, so other listeners (BullMQ queues' and workers' `error`) can
 * leave it out.
 */
export function isRedisConnectionError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) return true;
  // ioredis's own words for a command on a connection that is down.
  return /^Connection is closed\.?$|^Stream isn't writeable/.test(error.message);
}
