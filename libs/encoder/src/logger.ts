import { pino } from 'pino';

/** The two calls the encoder logs with; a pino logger (what the apps use) satisfies it. */
export interface EncoderLogger {
  info(message: string): void;
  warn(message: string): void;
}

export function defaultLogger(): EncoderLogger {
  const logger = pino({ name: 'encoder' }, pino.destination(2));
  return { info: (m) => logger.info(m), warn: (m) => logger.warn(m) };
}
