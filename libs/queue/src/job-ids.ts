/**
 * Deterministic job ids: the same corpus (same fingerprint) split the same way gives the same ids,
 * so running `ingest` again after a crash adds nothing BullMQ already holds. Ids use "-" because
 * BullMQ refuses ":" in custom ids, and never consist of digits only.
 */
export function shardKey(fingerprint: string, shardIndex: number): string {
  return `${fingerprint.slice(0, 16)}-${String(shardIndex).padStart(7, '0')}`;
}

/** Whether `key` (a shardKey) names a shard of the corpus with this fingerprint. */
export function isShardOf(key: string, fingerprint: string): boolean {
  return key.startsWith(`${fingerprint.slice(0, 16)}-`);
}

export function shardJobId(collection: string, fingerprint: string, shardIndex: number): string {
  return `shard-${collection}-${shardKey(fingerprint, shardIndex)}`;
}

export function finalizeJobId(collection: string, fingerprint: string): string {
  return `finalize-${collection}-${fingerprint.slice(0, 16)}`;
}

/** The child that holds the finalize job back until the producer has enqueued every shard. */
export function sealJobId(collection: string, fingerprint: string): string {
  return `seal-${collection}-${fingerprint.slice(0, 16)}`;
}

export function deadLetterJobId(shardJob: string): string {
  return `dead-${shardJob}`;
}
