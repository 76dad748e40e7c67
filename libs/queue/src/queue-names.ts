/**
 * The pipeline's queues. Every deployment shares these names under its own key prefix (BullMQ's
 * `prefix`, default `embedline`), so two deployments on one Redis never see each other's jobs and
 * tests isolate themselves with a unique prefix. On a Redis Cluster the prefix holds a hash tag
 * (`{embedline}`), so every key of every queue, and the ingest manifest beside them, shares one slot:
 * BullMQ's scripts and flows (a finalize parent over shard jobs) touch several of them at once.
 */
export const QUEUES = {
  /** One job per shard of a corpus; what GPU/CPU workers consume (and what autoscaling watches). */
  shards: 'shards',
  /** One flow parent per ingest: runs once every shard job (and the seal) has completed. */
  finalize: 'finalize',
  /** Shards that failed their last attempt, with the error; replayed by `ingest --replay-failed`. */
  deadLetter: 'dead-letter',
} as const;

export const DEFAULT_PREFIX = 'embedline';

/** The key BullMQ uses for a queue, which a child job names to find its parent. */
export function qualifiedQueueName(prefix: string, queue: string): string {
  return `${prefix}:${queue}`;
}
