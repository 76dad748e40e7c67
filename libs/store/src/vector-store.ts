import type { RecordBatch } from 'apache-arrow';
import type { EmbeddedRows } from './embedded-batch.ts';

/**
 * The contract every vector store adapter honours (embedded LanceDB, Qdrant). Vectors are
 * L2-normalized, so the distance is always dot product and a hit's score is its cosine similarity.
 *
 * Batches come in as Arrow record batches with the columns of `EMBEDDED_BATCH_SCHEMA` (see
 * embedded-batch.ts): `id` (Utf8, the corpus id), `vector` (FixedSizeList<Float32>[dimension]),
 * `text` (Utf8) and `payload` (Utf8 holding a JSON object of the record's other fields, or null).
 */
export interface VectorStore {
  /**
   * Where the collections live, for messages to a person: "the LanceDB store at /abs/folder
   * (EMBEDLINE_LANCEDB_DIR)", "Qdrant at https://host:6333". Never credentials.
   */
  readonly location: string;
  /** Creates the collection if it does not exist; an existing one with another dimension is an error. */
  createCollection(name: string, options: CreateCollectionOptions): Promise<void>;
  /**
   * Adds or replaces points by id: writing the same batch twice leaves one copy of each point. Resolves once durable.
   * With `firstWrite` the caller vouches that none of the batch's ids can be stored yet, and a store may append
   * instead of merging (cheaper, see UpsertOptions); should the claim prove wrong, finalize removes the extra copies.
   */
  upsert(name: string, batch: RecordBatch, options?: UpsertOptions): Promise<void>;
  /** Number of points stored. */
  count(name: string): Promise<number>;
  /** Top-k by dot product, best first; ties broken by lower point id. */
  search(name: string, query: Float32Array, options: SearchOptions): Promise<SearchHit[]>;
  /**
   * End of bulk load: restore indexing settings, remove duplicate copies of an id left by a wrong
   * `firstWrite` (the most recent copy stays), compact, build the ANN index. Idempotent.
   */
  finalize(name: string): Promise<void>;
  /** What the store knows of a collection, or undefined when there is none. */
  describe(name: string): Promise<CollectionInfo | undefined>;
  /** Every stored point, batch by batch: for verification, export and exact-search recall checks. */
  scan(name: string): AsyncIterable<EmbeddedRows>;
  listCollections(): Promise<string[]>;
  deleteCollection(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface UpsertOptions {
  /**
   * None of the batch's ids is stored yet, as far as the caller knows (the pipeline: a shard's first write
   * into a collection that was empty when the ingest began). LanceDB then appends: a merge on `id` reads
   * every stored id, so merges grow slower with the table, appends do not. Qdrant upserts either way.
   */
  readonly firstWrite?: boolean;
}

export interface CreateCollectionOptions {
  readonly dimension: number;
  /** Keep vectors on disk rather than in RAM (Qdrant `on_disk`); ignored where meaningless. */
  readonly onDisk?: boolean;
  readonly shards?: number;
  readonly replication?: number;
}

export interface SearchOptions {
  readonly topK: number;
  /** Exact (brute-force) search instead of the ANN index, to measure the index's recall. */
  readonly exact?: boolean;
  readonly withPayload?: boolean;
}

export interface SearchHit {
  /** The corpus id as read from the corpus (a TSV pid, a JSONL id, ...). */
  readonly id: string;
  readonly score: number;
  /** `{ text, ...payload }` when asked for. */
  readonly payload?: Record<string, unknown>;
}

export interface CollectionInfo {
  readonly name: string;
  readonly dimension: number;
  readonly distance: 'dot';
  readonly count: number;
  /** Whether finalize has run since the last write. */
  readonly finalized: boolean;
  /**
   * Changes with every write, where the store keeps such a number (LanceDB's table version; Qdrant has
   * none): a cache of the collection's points is current while this is unchanged.
   */
  readonly version?: number;
}
