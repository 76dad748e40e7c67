/**
 * A shard re-read from its corpus did not give the records the producer accepted: the corpus changed
 * (or moved) after `ingest` fingerprinted it. Retrying cannot help, so the job fails at once.
 */
export class ShardMismatchError extends Error {
  override readonly name = 'ShardMismatchError';
}
