import { pino } from 'pino';

/** Structured logs on stderr, so stdout carries only the command's results. */
export function createLogger(name: string) {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
}
