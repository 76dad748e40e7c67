export { envSchema, loadEnv, workerQueuesSchema, type EmbedlineEnv } from './env-schema.ts';
export { createLogger, type Logger } from './logger.ts';
export { onShutdown, type ShutdownPolicy } from './shutdown.ts';
export { nonNegativeIntFlag, portFlag, positiveIntFlag, wholeNumber } from './number-flags.ts';
