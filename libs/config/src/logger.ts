import { pino, type Logger } from 'pino';

/** Structured JSON logs on stderr (stdout stays for a command's results), one logger per app. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination(2));
}

export type { Logger };
