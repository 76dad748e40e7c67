export type {
  VectorStore,
  CreateCollectionOptions,
  UpsertOptions,
  SearchOptions,
  SearchHit,
  CollectionInfo,
  CompactionOutcome,
} from './vector-store.ts';
export { pointId, comparePointIds } from './point-id.ts';
export { toRecordBatch, fromRecordBatch, embeddedBatchSchema, type EmbeddedRows } from './embedded-batch.ts';
export type { ShardLedger } from './shard-ledger.ts';
export { CollectionNotFoundError } from './errors/collection-not-found-error.ts';
export { DimensionMismatchError } from './errors/dimension-mismatch-error.ts';
export { WriteConflictError } from './errors/write-conflict-error.ts';
export { LanceDbStore, type LanceDbStoreOptions, type LanceDbVectorIndex } from './lancedb/lancedb-store.ts';
export { QdrantStore, type QdrantStoreOptions, type BulkLoadMode } from './qdrant/qdrant-store.ts';
export { FINALIZED_METADATA_KEY } from './qdrant/finalized-flag.ts';
export { QdrantRequestError, QdrantUnavailableError, QdrantTimeoutError, QdrantFinalizeTimeoutError } from './qdrant/qdrant-errors.ts';
export type { RetryOptions as QdrantRetryOptions } from './qdrant/retry.ts';
export { openStore, type StoreSettings } from './open-store.ts';
