/**
 * A durable record, kept in the store itself, of which shards are fully written. Redis holds the
 * queue and its bookkeeping but may lose everything (a restart without persistence); the ledger
 * lets a re-run of `ingest` enqueue only what is not in the store yet. A shard is recorded only
 * after its points are durably upserted, so a recorded shard is always complete.
 */
export interface ShardLedger {
  recordShard(collection: string, shardKey: string, records: number): Promise<void>;
  /** Shard key -> records, for every shard recorded in this collection. */
  completedShards(collection: string): Promise<Map<string, number>>;
}
