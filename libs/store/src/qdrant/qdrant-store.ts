import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import type { RecordBatch } from 'apache-arrow';
import { fromRecordBatch, type EmbeddedRows } from '../embedded-batch.ts';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import { comparePointIds, pointId, stableUuid } from '../point-id.ts';
import type { ShardLedger } from '../shard-ledger.ts';
import type {
  CollectionInfo,
  CreateCollectionOptions,
  SearchHit,
  SearchOptions,
  VectorStore,
} from '../vector-store.ts';
import { CORPUS_ID_KEY, decodePayload, encodePayload } from './payload-codec.ts';
import { QdrantFinalizeTimeoutError, QdrantRequestError } from './qdrant-errors.ts';
import {
  DEFAULT_RETRY,
  RetryableCondition,
  withRetry,
  type RetryContext,
  type RetryOptions,
} from './retry.ts';

/** How ingest keeps Qdrant from building the HNSW graph while points stream in (undone by finalize). */
export type BulkLoadMode =
  /** `hnsw_config.m = 0`: segments are built and optimized, but no graph (Qdrant's recommendation; low RAM). */
  | 'defer-hnsw'
  /** `optimizers_config.indexing_threshold = 0`: no indexing at all; fastest upload, more RAM. */
  | 'disable-indexing'
  /** Index as data arrives (Qdrant's defaults). */
  | 'none';

export interface QdrantStoreOptions {
  /**
   * REST endpoint, e.g. `http://127.0.0.1:6333` or `https://xyz.cloud.qdrant.io:6333`. A path is kept as a
   * prefix (`https://proxy/qdrant`). As in the official client, a URL without a port means port 6333.
   */
  readonly url: string;
  /**
   * Prepended to every collection name on the server (`docs` -> `<prefix>docs`); listCollections shows only
   * prefixed collections, without the prefix. Lets tests or tenants share a server. Default none.
   */
  readonly collectionPrefix?: string;
  /** Sent as the `api-key` header. Use https when it crosses an untrusted network. */
  readonly apiKey?: string;
  /** Client timeout per request for points and reads (ms). Default 60 000. Timeouts are not retried. */
  readonly timeoutMs?: number;
  /**
   * Client timeout for collection-level requests (create, update, delete) (ms), which Qdrant may hold until
   * running optimizations finish; also sent as the server-side `timeout`. Default 300 000.
   */
  readonly adminTimeoutMs?: number;
  /** Points per upsert request (1-1024). Default 128 (Qdrant recommends 64-256). */
  readonly batchSize?: number;
  /** Upsert requests in flight at once per `upsert` call (1-64). Default 4. */
  readonly concurrency?: number;
  /**
   * Write ordering of upserts. Default `medium`: writes for a shard go through a (dynamically chosen) leader,
   * so replicas apply two writes of the same point in one order; `weak` may reorder them across replicas.
   */
  readonly ordering?: 'weak' | 'medium' | 'strong';
  /** Settings applied at collection creation for the bulk load. Default `defer-hnsw`. */
  readonly bulkLoad?: BulkLoadMode;
  /** HNSW settings finalize restores. Default `{ m: 16, efConstruct: 100 }` (Qdrant's defaults). */
  readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
  /** `optimizers_config.indexing_threshold` (KB) finalize restores. Default 20 000 (Qdrant's default). */
  readonly indexingThreshold?: number;
  /** How long finalize waits for the collection to turn green (ms). Default 3 600 000. */
  readonly finalizeTimeoutMs?: number;
  /** First interval between finalize's status polls (ms); grows 1.5x up to 10 s. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Retries of 429/502/503/504 and connection failures. */
  readonly retry?: RetryOptions;
  /** Keep-alive connections per client (the official client's `maxConnections`). Default 25. */
  readonly maxConnections?: number;
  /** Test seams: how to wait, and the jitter source. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Collection metadata key (Qdrant >= 1.16) recording whether finalize has run since the last write. */
export const FINALIZED_METADATA_KEY = 'embedline_finalized';

/** Suffix of the side collection holding a collection's shard ledger (the name LanceDbStore uses too). */
export const LEDGER_SUFFIX = '__shards';
/** Ledger points per scroll request: a whole MS MARCO ingest (8.8M passages, 1k-passage shards) is 9 pages. */
const LEDGER_PAGE_SIZE = 1000;

/** Extra hits fetched beyond topK so that a tie at the cut can be ordered by point id. */
const TIE_SLACK = 8;
const MAX_POLL_INTERVAL_MS = 10_000;
/** How often finalize nudges a "grey" collection (optimizations pending, not triggered). */
const GREY_TRIGGER_INTERVAL_MS = 5_000;

type CollectionDetails = Schemas['CollectionInfo'];
type ScoredPoint = Schemas['ScoredPoint'];

interface ServerFeatures {
  readonly version: string | undefined;
  /** Collection metadata (`metadata` on create/update/info), added in Qdrant 1.16. */
  readonly metadata: boolean;
}

/**
 * The distributed store: a Qdrant collection per Embedline collection, one unnamed dense vector with
 * `Dot` distance (the vectors are unit length, so the score is the cosine). See README.md ("Qdrant").
 */
export class QdrantStore implements VectorStore, ShardLedger {
  readonly #client: QdrantClient;
  readonly #admin: QdrantClient;
  readonly #retry: RetryContext;
  readonly #adminRetry: RetryContext;
  readonly #adminTimeoutS: number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #ordering: 'weak' | 'medium' | 'strong';
  readonly #bulkLoad: BulkLoadMode;
  readonly #m: number;
  readonly #efConstruct: number;
  readonly #indexingThreshold: number;
  readonly #finalizeTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #prefix: string;
  #features: Promise<ServerFeatures> | undefined;
  /** Collections whose ledger this store has seen or created (or is creating), so recordShard looks once. */
  readonly #ledgers = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: QdrantStoreOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`QdrantStore url must be http(s): ${options.url}`);
    const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 60_000);
    const adminTimeoutMs = positiveInteger('adminTimeoutMs', options.adminTimeoutMs ?? 300_000);
    this.#batchSize = inRange('batchSize', options.batchSize ?? 128, 1, 1024);
    this.#concurrency = inRange('concurrency', options.concurrency ?? 4, 1, 64);
    this.#ordering = options.ordering ?? 'medium';
    this.#bulkLoad = options.bulkLoad ?? 'defer-hnsw';
    this.#m = inRange('hnsw.m', options.hnsw?.m ?? 16, 1, 1024);
    this.#efConstruct = inRange('hnsw.efConstruct', options.hnsw?.efConstruct ?? 100, 4, 100_000);
    this.#indexingThreshold = inRange(
      'indexingThreshold',
      options.indexingThreshold ?? 20_000,
      1,
      Number.MAX_SAFE_INTEGER,
    );
    this.#finalizeTimeoutMs = positiveInteger('finalizeTimeoutMs', options.finalizeTimeoutMs ?? 3_600_000);
    this.#pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000);
    this.#prefix = options.collectionPrefix ?? '';
    if (!/^[A-Za-z0-9_.-]*$/.test(this.#prefix))
      throw new RangeError(
        `QdrantStore collectionPrefix may hold letters, digits, "_", "-" and "." only: ${this.#prefix}`,
      );
    this.#adminTimeoutS = Math.max(1, Math.ceil(adminTimeoutMs / 1000));
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    inRange('retry.maxAttempts', retry.maxAttempts, 1, 100);
    const random = options.random ?? Math.random;
    this.#retry = { options: retry, timeoutMs, sleep: this.#sleep, random };
    this.#adminRetry = { options: retry, timeoutMs: adminTimeoutMs, sleep: this.#sleep, random };

    // The official client keeps only host and port of `url` (a path needs `prefix`), defaults the port to
    // 6333, and checks the server version with a fire-and-forget request unless told not to: we check it
    // ourselves, lazily (see #serverFeatures). The API key goes as a header rather than `apiKey`, which
    // would print "Api key is used with unsecure connection." on every client built for an http URL.
    const prefix = url.pathname.replace(/\/+$/, '');
    const params = {
      url: url.origin,
      ...(prefix.length > 0 ? { prefix } : {}),
      checkCompatibility: false,
      headers: options.apiKey === undefined ? {} : { 'api-key': options.apiKey },
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    };
    this.#client = new QdrantClient({ ...params, timeout: timeoutMs });
    this.#admin = new QdrantClient({ ...params, timeout: adminTimeoutMs });
  }

  async createCollection(name: string, options: CreateCollectionOptions): Promise<void> {
    this.#open();
    checkNotLedgerName(name);
    const dimension = positiveInteger('dimension', options.dimension);
    const existing = await this.#details(name);
    if (existing !== undefined) return this.#adoptExisting(name, existing, dimension);
    const features = await this.#serverFeatures();
    const body: Schemas['CreateCollection'] & { timeout?: number } = {
      vectors: { size: dimension, distance: 'Dot', ...(options.onDisk === true ? { on_disk: true } : {}) },
      ...(options.shards === undefined ? {} : { shard_number: positiveInteger('shards', options.shards) }),
      ...(options.replication === undefined
        ? {}
        : { replication_factor: positiveInteger('replication', options.replication) }),
      ...(this.#bulkLoad === 'defer-hnsw' ? { hnsw_config: { m: 0 } } : {}),
      ...(this.#bulkLoad === 'disable-indexing' ? { optimizers_config: { indexing_threshold: 0 } } : {}),
      ...(features.metadata ? { metadata: { [FINALIZED_METADATA_KEY]: false } } : {}),
      timeout: this.#adminTimeoutS,
    };
    try {
      await this.#call(`create collection "${name}"`, name, (c, q) => c.createCollection(q, body), true);
    } catch (error) {
      if (!lostCreateRace(error)) throw error;
      return this.#adoptExisting(
        name,
        await this.#requireDetails(name, `create collection "${name}"`),
        dimension,
      );
    }
    await this.#ensureIdIndex(name);
  }

  async upsert(name: string, batch: RecordBatch): Promise<void> {
    this.#open();
    const rows = fromRecordBatch(batch);
    const details = await this.#requireDetails(name, `upsert into "${name}"`);
    const dimension = vectorSize(details, name);
    if (rows.dimension !== dimension)
      throw new DimensionMismatchError(name, dimension, rows.dimension, "the batch's vectors have");
    if (rows.ids.length === 0) return;
    // Before the first point lands, so a crash mid-write never leaves a stale "finalized".
    if (
      (await this.#serverFeatures()).metadata &&
      details.config.metadata?.[FINALIZED_METADATA_KEY] !== false
    ) {
      await this.#setFinalized(name, false);
    }
    // Deterministic ids: the last row of a repeated id wins, as one request would apply it.
    const points = new Map<number | string, Schemas['PointStruct']>();
    rows.ids.forEach((id, i) => {
      const key = pointId(id);
      const vector = Array.from(rows.vectors.subarray(i * dimension, (i + 1) * dimension));
      points.set(key, { id: key, vector, payload: encodePayload(id, rows.texts[i]!, rows.payloads?.[i]) });
    });
    const all = [...points.values()];
    const chunks: Schemas['PointStruct'][][] = [];
    for (let start = 0; start < all.length; start += this.#batchSize)
      chunks.push(all.slice(start, start + this.#batchSize));
    await forEachBounded(chunks, this.#concurrency, async (chunk) => {
      const operation = `upsert of ${chunk.length} points into "${name}"`;
      try {
        await this.#call(operation, name, async (c, q) => {
          // wait: true — Qdrant answers once the points are applied (WAL + segments), so a resolved upsert
          // means durable and searchable, and the worker may ack its shard.
          const result = await c.upsert(q, { wait: true, ordering: this.#ordering, points: chunk });
          if (result.status !== 'completed')
            throw new RetryableCondition(`upsert answered "${result.status}", not "completed"`);
        });
      } catch (error) {
        throw await this.#dimensionError(error, name, dimension, "the batch's vectors have");
      }
    });
  }

  async count(name: string): Promise<number> {
    this.#open();
    const result = await this.#call(`count points of "${name}"`, name, (c, q) => c.count(q, { exact: true }));
    return result.count;
  }

  async search(name: string, query: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    this.#open();
    const { topK } = options;
    if (!Number.isInteger(topK) || topK < 0)
      throw new RangeError(`search topK must be a non-negative integer, got ${topK}`);
    if (topK === 0) {
      await this.#requireDetails(name, `search in "${name}"`);
      return [];
    }
    const withPayload = options.withPayload === true;
    const vector = Array.from(query);
    const maxLimit = Math.max(topK * 4, topK + 4096);
    // Qdrant orders equal scores arbitrarily; fetch past the cut until the tie group there is complete,
    // then order ties by point id (numbers by value before UUIDs), the order every store shares.
    for (let limit = topK + TIE_SLACK; ; limit = Math.min(limit * 2, maxLimit)) {
      let points: ScoredPoint[];
      try {
        const result = await this.#call(`search in "${name}"`, name, (c, q) =>
          c.query(q, {
            query: vector,
            limit,
            with_payload: withPayload ? true : [CORPUS_ID_KEY],
            with_vector: false,
            params: { exact: options.exact === true },
          }),
        );
        points = [...result.points].sort((a, b) => b.score - a.score || comparePointIds(a.id, b.id));
      } catch (error) {
        throw await this.#dimensionError(error, name, undefined, 'the query has', query.length);
      }
      const last = points[points.length - 1];
      const cut = points[topK - 1];
      const complete =
        points.length < limit ||
        last === undefined ||
        cut === undefined ||
        last.score < cut.score ||
        limit >= maxLimit;
      if (complete) return points.slice(0, topK).map((point) => toHit(point, withPayload));
    }
  }

  /** Every point through the scroll API, 256 at a time, vectors and payloads included. */
  async *scan(name: string): AsyncGenerator<EmbeddedRows> {
    this.#open();
    const dimension = vectorSize(await this.#requireDetails(name, `scan "${name}"`), name);
    let offset: string | number | undefined | null = undefined;
    do {
      const page = await this.#call(`scroll "${name}"`, name, (c, q) =>
        c.scroll(q, { limit: 256, with_payload: true, with_vector: true, ...(offset == null ? {} : { offset }) }),
      );
      const points = page.points;
      const vectors = new Float32Array(points.length * dimension);
      points.forEach((point, i) => vectors.set(point.vector as number[], i * dimension));
      yield {
        ids: points.map((point) => toHit({ ...point, score: 0 } as ScoredPoint, false).id),
        texts: points.map((point) => String(decodePayload(point.payload ?? {}).text ?? '')),
        vectors,
        dimension,
        payloads: points.map((point) => {
          const { text: _text, ...rest } = decodePayload(point.payload ?? {});
          return Object.keys(rest).length === 0 ? null : rest;
        }),
      };
      offset = page.next_page_offset as string | number | undefined | null;
    } while (offset !== undefined && offset !== null);
  }

  async finalize(name: string): Promise<void> {
    this.#open();
    const operation = `finalize "${name}"`;
    const details = await this.#requireDetails(name, operation);
    const { hnsw_config: hnsw, optimizer_config: optimizer } = details.config;
    if (
      hnsw.m !== this.#m ||
      hnsw.ef_construct !== this.#efConstruct ||
      optimizer.indexing_threshold !== this.#indexingThreshold
    ) {
      await this.#call(
        `${operation}: restore indexing settings`,
        name,
        (c, q) =>
          c.updateCollection(q, {
            hnsw_config: { m: this.#m, ef_construct: this.#efConstruct },
            optimizers_config: { indexing_threshold: this.#indexingThreshold },
            timeout: this.#adminTimeoutS,
          }),
        true,
      );
    }
    const green = await this.#waitForGreen(name);
    if ((await this.#serverFeatures()).metadata && green.config.metadata?.[FINALIZED_METADATA_KEY] !== true) {
      await this.#setFinalized(name, true);
    }
  }

  async describe(name: string): Promise<CollectionInfo | undefined> {
    this.#open();
    const details = await this.#details(name);
    if (details === undefined) return undefined;
    let count: number;
    try {
      count = await this.count(name);
    } catch (error) {
      if (error instanceof CollectionNotFoundError) return undefined;
      throw error;
    }
    const recorded = (await this.#serverFeatures()).metadata
      ? details.config.metadata?.[FINALIZED_METADATA_KEY]
      : undefined;
    // Without metadata (Qdrant < 1.16) finalized is read off the settings: an HNSW graph and indexing on.
    const derived =
      details.config.hnsw_config.m > 0 && (details.config.optimizer_config.indexing_threshold ?? 1) > 0;
    return {
      name,
      dimension: vectorSize(details, name),
      distance: 'dot',
      count,
      finalized: typeof recorded === 'boolean' ? recorded : derived,
    };
  }

  async listCollections(): Promise<string[]> {
    this.#open();
    const result = await this.#call('list collections', undefined, (c) => c.getCollections());
    return result.collections
      .map((c) => c.name)
      .filter((n) => n.startsWith(this.#prefix) && !n.endsWith(LEDGER_SUFFIX))
      .map((n) => n.slice(this.#prefix.length))
      .sort();
  }

  /** Deletes the collection and its shard ledger; either may already be gone. */
  async deleteCollection(name: string): Promise<void> {
    this.#open();
    this.#ledgers.delete(name);
    // The ledger goes first: a crash between the two deletes must leave points without claims (a re-run
    // redoes them), never claims of shards whose points are gone (a re-run would skip them).
    for (const target of [ledgerName(name), name]) {
      try {
        // Qdrant answers `result: false` for a collection that is not there; a 404 is tolerated as well.
        await this.#call(
          `delete collection "${target}"`,
          target,
          (c, q) => c.deleteCollection(q, { timeout: this.#adminTimeoutS }),
          true,
        );
      } catch (error) {
        if (!(error instanceof CollectionNotFoundError)) throw error;
      }
    }
  }

  /**
   * The shard ledger (see shard-ledger.ts) lives in a side collection, `<name>__shards`, hidden from
   * listCollections and deleted with the collection. It holds no vectors (`vectors: {}`, a payload-only
   * collection): one point per shard, keyed by the UUIDv5 of the shard key, so recording a shard again (a
   * retried or duplicated job) overwrites its point. Payload: `{ shard, records, finishedAt }`.
   */
  async recordShard(name: string, shardKey: string, records: number): Promise<void> {
    this.#open();
    if (shardKey.length === 0) throw new RangeError(`recordShard of "${name}": the shard key is empty`);
    if (!Number.isSafeInteger(records) || records < 0)
      throw new RangeError(`recordShard of "${name}": records must be a non-negative integer, got ${records}`);
    const point: Schemas['PointStruct'] = {
      id: stableUuid(shardKey),
      vector: {},
      payload: { shard: shardKey, records, finishedAt: new Date().toISOString() },
    };
    const write = () =>
      this.#call(`record shard "${shardKey}" of "${name}"`, ledgerName(name), async (c, q) => {
        // wait: true. The ledger must never claim a shard whose points are not durable: the caller records a
        // shard only after every upsert of its points resolved, and those use wait=true too (applied, in the
        // WAL). Waiting here as well means that once recordShard resolves the claim itself is applied, so the
        // worker acknowledges its job only when a later `ingest` (even after Redis lost everything) will see
        // the shard as done; and a write Qdrant fails to apply surfaces here as an error instead of an
        // "acknowledged" that silently records nothing.
        const result = await c.upsert(q, { wait: true, ordering: this.#ordering, points: [point] });
        if (result.status !== 'completed')
          throw new RetryableCondition(`ledger write answered "${result.status}", not "completed"`);
      });
    await this.#ensureLedger(name);
    try {
      await write();
    } catch (error) {
      if (!(error instanceof CollectionNotFoundError)) throw error;
      // The ledger was deleted since we saw it (another process deleted the collection): recreating it
      // requires the collection itself, so this fails clearly if that is gone too.
      this.#ledgers.delete(name);
      await this.#ensureLedger(name);
      await write();
    }
  }

  /** Every shard recorded for the collection, read through the scroll API; empty when it has no ledger. */
  async completedShards(name: string): Promise<Map<string, number>> {
    this.#open();
    const ledger = ledgerName(name);
    const shards = new Map<string, number>();
    let offset: Schemas['ExtendedPointId'] | null | undefined = undefined;
    do {
      let page: Schemas['ScrollResult'];
      try {
        page = await this.#call(`read the shard ledger of "${name}"`, ledger, (c, q) =>
          c.scroll(q, {
            limit: LEDGER_PAGE_SIZE,
            with_payload: ['shard', 'records'],
            with_vector: false,
            ...(offset == null ? {} : { offset }),
          }),
        );
      } catch (error) {
        if (error instanceof CollectionNotFoundError) return new Map();
        throw error;
      }
      for (const point of page.points) {
        const { shard, records } = point.payload ?? {};
        if (typeof shard !== 'string' || typeof records !== 'number')
          throw new QdrantRequestError(
            `read the shard ledger of "${name}"`,
            undefined,
            `point ${String(point.id)} of "${ledger}" is not a ledger entry (payload ${JSON.stringify(point.payload)})`,
          );
        shards.set(shard, records);
      }
      offset = page.next_page_offset as Schemas['ExtendedPointId'] | null | undefined;
    } while (offset !== undefined && offset !== null);
    return shards;
  }

  async close(): Promise<void> {
    // The official client exposes no way to close its undici Agent; idle keep-alive sockets close on their
    // own (10 s keep-alive) and do not hold the process open.
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new Error('QdrantStore is closed');
  }

  /**
   * One client call with retries; `run` gets the collection's name on the server (with the prefix). A 404 on
   * a collection's endpoint becomes CollectionNotFoundError naming the collection as the caller knows it.
   */
  #call<T>(
    operation: string,
    collection: string | undefined,
    run: (client: QdrantClient, serverName: string) => Promise<T>,
    admin = false,
  ): Promise<T> {
    this.#open();
    const serverName = collection === undefined ? '' : this.#prefix + collection;
    return withRetry(
      operation,
      admin ? this.#adminRetry : this.#retry,
      () => run(admin ? this.#admin : this.#client, serverName),
      (failure, error) =>
        collection !== undefined && failure.kind === 'http' && failure.status === 404
          ? new CollectionNotFoundError(collection, { cause: error })
          : undefined,
    );
  }

  async #details(name: string): Promise<CollectionDetails | undefined> {
    try {
      return await this.#requireDetails(name, `get collection "${name}"`);
    } catch (error) {
      if (error instanceof CollectionNotFoundError) return undefined;
      throw error;
    }
  }

  #requireDetails(name: string, operation: string): Promise<CollectionDetails> {
    return this.#call(operation, name, (c, q) => c.getCollection(q));
  }

  async #adoptExisting(name: string, details: CollectionDetails, dimension: number): Promise<void> {
    const existing = vectorSize(details, name);
    if (existing !== dimension) {
      throw new DimensionMismatchError(name, existing, dimension, 'createCollection asked for dimension');
    }
    // A creator that died between creating the collection and indexing `id` left the index to us.
    if (details.payload_schema[CORPUS_ID_KEY] === undefined) await this.#ensureIdIndex(name);
  }

  #ensureIdIndex(name: string): Promise<unknown> {
    return this.#call(
      `create the keyword index on "${CORPUS_ID_KEY}" of "${name}"`,
      name,
      (c, q) =>
        c.createPayloadIndex(q, {
          field_name: CORPUS_ID_KEY,
          field_schema: 'keyword',
          wait: true,
          ordering: this.#ordering,
        }),
      true,
    );
  }

  /**
   * Creates the ledger collection of `name` unless it exists. It has one shard (a few thousand points) and
   * the collection's replication factor, so it survives the node losses the points survive.
   */
  #ensureLedger(name: string): Promise<void> {
    let pending = this.#ledgers.get(name);
    if (pending === undefined) {
      pending = this.#createLedgerUnlessExists(name);
      this.#ledgers.set(name, pending);
      // A failure is not remembered: the next recordShard tries again.
      const created = pending;
      created.catch(() => {
        if (this.#ledgers.get(name) === created) this.#ledgers.delete(name);
      });
    }
    return pending;
  }

  async #createLedgerUnlessExists(name: string): Promise<void> {
    const ledger = ledgerName(name);
    if ((await this.#details(ledger)) === undefined) {
      const collection = await this.#requireDetails(name, `record a shard of "${name}"`);
      const replication = collection.config.params.replication_factor;
      try {
        await this.#call(
          `create the shard ledger of "${name}"`,
          ledger,
          (c, q) =>
            c.createCollection(q, {
              vectors: {},
              shard_number: 1,
              ...(replication === undefined ? {} : { replication_factor: replication }),
              timeout: this.#adminTimeoutS,
            }),
          true,
        );
      } catch (error) {
        if (!lostCreateRace(error)) throw error;
      }
    }
  }

  #setFinalized(name: string, finalized: boolean): Promise<unknown> {
    return this.#call(
      `mark "${name}" ${finalized ? 'finalized' : 'written since finalize'}`,
      name,
      (c, q) =>
        c.updateCollection(q, {
          metadata: { [FINALIZED_METADATA_KEY]: finalized },
          timeout: this.#adminTimeoutS,
        }),
      true,
    );
  }

  /**
   * Polls until the collection is green on two polls in a row (right after an update Qdrant may still
   * report green before the optimizer picks the change up). Grey means optimizations are pending but not
   * triggered: an empty optimizers update triggers them. Red fails at once.
   */
  async #waitForGreen(name: string): Promise<CollectionDetails> {
    const started = Date.now();
    let interval = this.#pollIntervalMs;
    let greens = 0;
    let lastNudge = 0;
    for (;;) {
      const details = await this.#requireDetails(name, `finalize "${name}": poll status`);
      if (details.status === 'red') {
        const reason =
          typeof details.optimizer_status === 'object'
            ? details.optimizer_status.error
            : 'optimizers report a failure';
        throw new QdrantRequestError(`finalize "${name}"`, undefined, `the collection is red: ${reason}`);
      }
      if (details.status === 'green') {
        if (++greens >= 2) return details;
      } else {
        greens = 0;
        if (details.status === 'grey' && Date.now() - lastNudge >= GREY_TRIGGER_INTERVAL_MS) {
          lastNudge = Date.now();
          await this.#call(
            `finalize "${name}": trigger optimizers`,
            name,
            (c, q) => c.updateCollection(q, { optimizers_config: {} }),
            true,
          );
        }
      }
      const waited = Date.now() - started;
      if (waited >= this.#finalizeTimeoutMs)
        throw new QdrantFinalizeTimeoutError(name, waited, details.status);
      await this.#sleep(Math.min(interval, this.#finalizeTimeoutMs - waited));
      interval = Math.min(interval * 1.5, MAX_POLL_INTERVAL_MS);
    }
  }

  /** A 400 "Vector dimension error" becomes DimensionMismatchError; anything else passes through. */
  async #dimensionError(
    error: unknown,
    name: string,
    expected: number | undefined,
    what: string,
    actual?: number,
  ): Promise<unknown> {
    if (!(error instanceof QdrantRequestError) || error.status !== 400 || !/dimension/i.test(error.message))
      return error;
    const match = /expected dim: (\d+), got (\d+)/.exec(error.message);
    const stored =
      match !== null
        ? Number(match[1])
        : (expected ?? vectorSize(await this.#requireDetails(name, `get collection "${name}"`), name));
    return new DimensionMismatchError(
      name,
      stored,
      actual ?? (match !== null ? Number(match[2]) : Number.NaN),
      what,
      { cause: error },
    );
  }

  #serverFeatures(): Promise<ServerFeatures> {
    this.#features ??= this.#call('read the server version', undefined, (c) => c.versionInfo()).then(
      (info) => ({ version: info.version, metadata: atLeast(info.version, 1, 16) }),
      (error: unknown) => {
        this.#features = undefined;
        // A proxy that hides "/" should not stop ingest: go without collection metadata.
        if (error instanceof QdrantRequestError && error.status !== undefined && error.status < 500)
          return { version: undefined, metadata: false };
        throw error;
      },
    );
    return this.#features;
  }
}

function toHit(point: ScoredPoint, withPayload: boolean): SearchHit {
  const payload = point.payload ?? {};
  const stored = payload[CORPUS_ID_KEY];
  const id = typeof stored === 'string' ? stored : String(point.id);
  return withPayload
    ? { id, score: point.score, payload: decodePayload(payload) }
    : { id, score: point.score };
}

function ledgerName(collection: string): string {
  return `${collection}${LEDGER_SUFFIX}`;
}

/** Ledger names are reserved: such a collection would be hidden from listCollections and clash with a ledger. */
function checkNotLedgerName(name: string): void {
  if (name.endsWith(LEDGER_SUFFIX))
    throw new RangeError(`collection name "${name}" ends with "${LEDGER_SUFFIX}", reserved for shard ledgers`);
}

/** Another process created the collection between our look and our create: 409 (400 on older servers). */
function lostCreateRace(error: unknown): boolean {
  return (
    error instanceof QdrantRequestError &&
    (error.status === 409 || (error.status === 400 && /already exists/i.test(error.message)))
  );
}

function vectorSize(details: CollectionDetails, name: string): number {
  const vectors = details.config.params.vectors;
  if (vectors !== undefined && typeof (vectors as { size?: unknown }).size === 'number')
    return (vectors as { size: number }).size;
  throw new QdrantRequestError(
    `read collection "${name}"`,
    undefined,
    'it has named vectors; Embedline collections have one unnamed vector',
  );
}

function atLeast(version: string, major: number, minor: number): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a > major || (a === major && b >= minor);
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure stops new starts and is thrown once the others settle. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

function positiveInteger(what: string, value: number): number {
  return inRange(what, value, 1, Number.MAX_SAFE_INTEGER);
}

function inRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`QdrantStore ${what} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}
