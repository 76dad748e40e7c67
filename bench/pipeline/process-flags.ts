/** The flags every pipeline benchmark shares: how many processes, threads, shards in flight, backpressure. */
import { availableParallelism } from 'node:os';
import { positiveInt } from '../encoder/protocol.ts';

export const PROCESS_FLAG_OPTIONS = {
  workers: { type: 'string', default: '1' },
  threads: { type: 'string' },
  concurrency: { type: 'string', default: '2' },
  'high-water-mark': { type: 'string', default: '200' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

interface ProcessFlagValues {
  readonly workers: string;
  readonly threads?: string;
  readonly concurrency: string;
  readonly 'high-water-mark': string;
}

/** Threads default to the cores split evenly between the worker processes. */
export function processFlags(values: ProcessFlagValues) {
  const workers = positiveInt('workers', values.workers);
  return {
    workers,
    threads:
      values.threads === undefined
        ? Math.max(1, Math.floor(availableParallelism() / workers))
        : positiveInt('threads', values.threads),
    concurrency: positiveInt('concurrency', values.concurrency),
    highWaterMark: positiveInt('high-water-mark', values['high-water-mark']),
  };
}
