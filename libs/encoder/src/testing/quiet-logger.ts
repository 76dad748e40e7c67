import type { EncoderLogger } from '../logger.ts';

/** Keeps test output to the runner's own lines. */
export const quietLogger: EncoderLogger = { info: () => undefined, warn: () => undefined };
