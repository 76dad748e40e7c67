export type { VectorStore, CreateCollectionOptions, SearchOptions, SearchHit, CollectionInfo } from './vector-store.ts';
export { pointId } from './point-id.ts';
export { toRecordBatch, fromRecordBatch, embeddedBatchSchema, type EmbeddedRows } from './embedded-batch.ts';
