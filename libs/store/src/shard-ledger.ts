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

/** Suffix of the side collection (Qdrant) or table (LanceDB) holding a collection's ledger. */
export const LEDGER_SUFFIX = '__shards';

/** The name of a collection's ledger. */
export function ledgerName(collection: string): string {
  return `${collection}${LEDGER_SUFFIX}`;
}

/** Whether a store-side name is a ledger's (hidden from listCollections). */
export function isLedgerName(name: string): boolean {
  return name.endsWith(LEDGER_SUFFIX);
}

/** Ledger names are reserved: such a collection would be hidden from listCollections and clash with a ledger. */
export function checkNotLedgerName(name: string): void {
  if (isLedgerName(name))
    throw new RangeError(
      `collection name "${name}" ends with "${LEDGER_SUFFIX}", reserved for shard ledgers`,
    );
}
