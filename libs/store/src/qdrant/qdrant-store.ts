import type { RecordBatch } from 'apache-arrow';
import { fromRecordBatch, type EmbeddedRows } from '../embedded-batch.ts';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import { checkNotLedgerName, isLedgerName, ledgerName, type ShardLedger } from '../shard-ledger.ts';
import type {
  CollectionInfo,
  CreateCollectionOptions,
  SearchHit,
  SearchOptions,
  VectorStore,
} from '../vector-store.ts';
import { CollectionCreator } from './collection-creation.ts';
import { vectorSize } from './collection-dimension.ts';
import { readFinalized, recordFinalized } from './finalized-flag.ts';
import { Finalizer } from './finalizer.ts';
import { toEmbeddedRows, toPoints } from './point-mapping.ts';
import { uploadPoints, type UploadSettings } from './point-upload.ts';
import { QdrantConnection } from './qdrant-connection.ts';
import { QdrantShardLedger } from './qdrant-shard-ledger.ts';
import { search } from './search.ts';
import { resolveStoreOptions, type QdrantStoreOptions } from './store-options.ts';

export type { BulkLoadMode, QdrantStoreOptions } from './store-options.ts';

/**
 * The distributed store: a Qdrant collection per Embedline collection, one unnamed dense vector with
 * `Dot` distance (the vectors are unit length, so the score is the cosine). See README.md ("Qdrant").
 *
 * A facade: requests, retries and the closed flag live in QdrantConnection; creation, upload, search,
 * finalize and the shard ledger each have a collaborator of their own in this folder.
 */
export class QdrantStore implements VectorStore, ShardLedger {
  readonly #connection: QdrantConnection;
  readonly #creator: CollectionCreator;
  readonly #upload: UploadSettings;
  readonly #finalizer: Finalizer;
  readonly #ledger: QdrantShardLedger;
  readonly location: string;

  constructor(options: QdrantStoreOptions) {
    const resolved = resolveStoreOptions(options);
    const prefix =
      resolved.collectionPrefix === '' ? '' : ` (collection prefix "${resolved.collectionPrefix}")`;
    this.location = `Qdrant at ${resolved.endpoint}${prefix}`;
    this.#connection = new QdrantConnection(resolved);
    this.#creator = new CollectionCreator(this.#connection, resolved.bulkLoad, resolved.ordering);
    this.#upload = resolved;
    this.#finalizer = new Finalizer(this.#connection, resolved);
    this.#ledger = new QdrantShardLedger(this.#connection, resolved.ordering);
  }

  async createCollection(name: string, options: CreateCollectionOptions): Promise<void> {
    this.#connection.checkOpen();
    checkNotLedgerName(name);
    await this.#creator.create(name, options);
  }

  async upsert(name: string, batch: RecordBatch): Promise<void> {
    this.#connection.checkOpen();
    const rows = fromRecordBatch(batch);
    const details = await this.#connection.requireDetails(name, `upsert into "${name}"`);
    const dimension = vectorSize(details, name);
    if (rows.dimension !== dimension)
      throw new DimensionMismatchError(name, dimension, rows.dimension, "the batch's vectors have");
    if (rows.ids.length === 0) return;
    // Before the first point lands, so a crash mid-write never leaves a stale "finalized".
    await recordFinalized(this.#connection, name, details, false);
    await uploadPoints(this.#connection, name, toPoints(rows, dimension), dimension, this.#upload);
  }

  async count(name: string): Promise<number> {
    this.#connection.checkOpen();
    const result = await this.#connection.call(`count points of "${name}"`, name, (c, q) =>
      c.count(q, { exact: true }),
    );
    return result.count;
  }

  async search(name: string, query: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    this.#connection.checkOpen();
    return search(this.#connection, name, query, options);
  }

  /** Every point through the scroll API, 256 at a time, vectors and payloads included. */
  async *scan(name: string): AsyncGenerator<EmbeddedRows> {
    this.#connection.checkOpen();
    const dimension = vectorSize(await this.#connection.requireDetails(name, `scan "${name}"`), name);
    let offset: string | number | undefined | null = undefined;
    do {
      const page = await this.#connection.call(`scroll "${name}"`, name, (c, q) =>
        c.scroll(q, {
          limit: 256,
          with_payload: true,
          with_vector: true,
          ...(offset == null ? {} : { offset }),
        }),
      );
      yield toEmbeddedRows(page.points, dimension);
      offset = page.next_page_offset as string | number | undefined | null;
    } while (offset !== undefined && offset !== null);
  }

  async finalize(name: string): Promise<void> {
    this.#connection.checkOpen();
    await this.#finalizer.finalize(name);
  }

  async describe(name: string): Promise<CollectionInfo | undefined> {
    this.#connection.checkOpen();
    const details = await this.#connection.details(name);
    if (details === undefined) return undefined;
    let count: number;
    try {
      count = await this.count(name);
    } catch (error) {
      // Deleted between the two reads.
      if (error instanceof CollectionNotFoundError) return undefined;
      throw error;
    }
    const finalized = await readFinalized(this.#connection, details);
    return { name, dimension: vectorSize(details, name), distance: 'dot', count, finalized };
  }

  async listCollections(): Promise<string[]> {
    this.#connection.checkOpen();
    const { prefix } = this.#connection;
    const result = await this.#connection.call('list collections', undefined, (c) => c.getCollections());
    return result.collections
      .map((c) => c.name)
      .filter((n) => n.startsWith(prefix) && !isLedgerName(n))
      .map((n) => n.slice(prefix.length))
      .sort();
  }

  /** Deletes the collection and its shard ledger; either may already be gone. */
  async deleteCollection(name: string): Promise<void> {
    this.#connection.checkOpen();
    this.#ledger.forget(name);
    // The ledger goes first: a crash between the two deletes must leave points without claims (a re-run
    // redoes them), never claims of shards whose points are gone (a re-run would skip them).
    for (const target of [ledgerName(name), name]) {
      try {
        // Qdrant answers `result: false` for a collection that is not there; a 404 is tolerated as well.
        await this.#connection.call(
          `delete collection "${target}"`,
          target,
          (c, q) => c.deleteCollection(q, { timeout: this.#connection.adminTimeoutS }),
          true,
        );
      } catch (error) {
        if (!(error instanceof CollectionNotFoundError)) throw error;
      }
    }
  }

  /** Records a finished shard in the collection's ledger, `<name>__shards` (see QdrantShardLedger). */
  async recordShard(name: string, shardKey: string, records: number): Promise<void> {
    this.#connection.checkOpen();
    await this.#ledger.record(name, shardKey, records);
  }

  /** Every shard recorded for the collection, read through the scroll API; empty when it has no ledger. */
  async completedShards(name: string): Promise<Map<string, number>> {
    this.#connection.checkOpen();
    return this.#ledger.completed(name);
  }

  async close(): Promise<void> {
    this.#connection.close();
  }
}
