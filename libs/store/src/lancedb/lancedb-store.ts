import { mkdir } from 'node:fs/promises';
import type * as LanceDbModule from '@lancedb/lancedb';
import type { Connection, Table } from '@lancedb/lancedb';
import type { RecordBatch } from 'apache-arrow';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import { comparePointIds, pointId } from '../point-id.ts';
import type { EmbeddedRows } from '../embedded-batch.ts';
import type { ShardLedger } from '../shard-ledger.ts';
import type {
  CollectionInfo,
  CreateCollectionOptions,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStore,
} from '../vector-store.ts';
import { hasPrimaryKey, ledgerSchema, schemaDimension, tableSchema, toLanceData } from './arrow-interop.ts';
import { DEFAULT_RETRY_POLICY, retryOnCommitConflict, type RetryPolicy } from './commit-retry.ts';
import { isAlreadyExists, isTableNotFound, messageOf } from './lance-errors.ts';
import { collectGarbage } from './collect-garbage.ts';
import { compactDuringIngest, INGEST_VERSION_AGE_MS } from './compact-during-ingest.ts';
import { finalizedVersion, tagFinalized, untagFinalized } from './finalized-tag.ts';
import { pruneVersionsBefore } from './prune-versions.ts';
import { removeDuplicateIds } from './remove-duplicates.ts';
import {
  DEFAULT_INDEX_THRESHOLD,
  defaultNprobes,
  needsRetrain,
  parseIndexName,
  planIvfPq,
  trainingSampleRate,
  type IvfPqPlan,
} from './index-policy.ts';

export interface LanceDbStoreOptions {
  /** Folder (or LanceDB object-store URI) holding one Lance table per collection, e.g. `.embedline/lancedb`. */
  readonly uri: string;
  /** Tables with fewer rows get no ANN index at finalize and are always searched exactly (default 10,000). */
  readonly indexThreshold?: number;
  /** IVF partitions probed per ANN query (default: 40, or 5% of the index's partitions when more). */
  readonly nprobes?: number;
  /** ANN candidates re-scored on the full vectors, as a multiple of topK (default 40, see DEFAULT_REFINE_FACTOR). */
  readonly refineFactor?: number;
  /** Retries of writes that lose commit races against other processes (default 8 tries, 50 ms..2 s). */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Ceiling of LanceDB's file-metadata cache, in bytes (default 256 MiB; LanceDB's own default is 1 GiB).
   * Merges on `id` read every fragment, and the cache keeps each fragment's metadata: a long-running
   * worker could hold up to the whole ceiling. Past it the oldest entries are re-read from disk (the OS
   * page cache). Measured, it was not what made workers grow (that was the ledger's fragments, see
   * dueForLedgerCompaction, and native memory per commit, see recycleWhenIdle): a bound, not a fix.
   */
  readonly metadataCacheBytes?: number;
  /** Commits (writes, ledger records) on one connection before it is replaced at an idle moment (default 200). */
  readonly connectionCommits?: number;
  /**
   * Milliseconds finalize waits after compaction before it deletes the versions compaction superseded
   * (default 2000), so that searches still reading them finish first (see pruneVersionsBefore).
   */
  readonly versionGraceMs?: number;
  /**
   * Table versions between two compactions during an ingest (default 2,000; 0: only finalize compacts):
   * the write that commits a multiple of it compacts the table. See compactDuringIngest for why, and
   * DEFAULT_COMPACT_EVERY_VERSIONS for the choice.
   */
  readonly compactEveryVersions?: number;
  /**
   * Those passes, and the shard ledger's compactions, delete versions superseded longer ago than this
   * (default 10,000 ms): the time a reader of an older version (a search, a merge retrying a shard) has
   * before its files may go.
   */
  readonly ingestVersionAgeMs?: number;
  /** Told when a compaction during an ingest failed (the write itself succeeded); default: a process warning. */
  readonly onCompactionError?: (collection: string, error: unknown) => void;
}

/** The ANN index finalize built on a collection, as `LanceDbStore.vectorIndex` reports it. */
export interface LanceDbVectorIndex extends IvfPqPlan {
  readonly type: 'IVF_PQ';
  readonly indexedRows: number;
  readonly unindexedRows: number;
}

/**
 * Bytes a Lance scan may read ahead of its consumer (Lance's default: 2 GiB). The index build's scan of
 * compacted 1M-row fragments took finalize's peak at 1M x 64-d to 393-411 MiB at 64 MiB, 324 at 16 MiB
 * and 322 at 8 MiB (bench/store/finalize-memory-probe.ts). Exact searches and scans of a local 1M x 64-d table
 * ran as fast at 16 as at 64 MiB (median search 202-226 vs 227-275 ms, full scan 2.6-2.9 vs 2.6-3.0 s).
 */
const LANCE_IO_BUFFER_BYTES = 16 * 2 ** 20;
/**
 * Bytes of transformed rows an index build's shuffle gathers before it sorts and spills them (Lance's
 * default: 128 MiB). Lance copies a gathered batch twice (concatenation, then sorting by partition), so
 * the build's peak is about 3x this. At 32 MiB a 1M x 64-d table's whole shuffle (28 MB of PQ codes and
 * row ids) was one batch, held and copied at the end of the scan: +110 MiB for a moment, the largest
 * step of finalize (bench/store/finalize-memory-probe.ts). 4 MiB bounds it; the price is more, smaller
 * reads of the local spill file when partitions are read back.
 */
const LANCE_SHUFFLE_BATCH_BYTES = 4 * 2 ** 20;

type LanceDb = typeof LanceDbModule;
let lancedbModule: Promise<LanceDb> | undefined;

/** LanceDB's native module, loaded on first use so that importing @embedline/store stays cheap. */
function loadLanceDb(): Promise<LanceDb> {
  // Lance 8 warns on every index-statistics call that centroids are still included by default; take
  // the announced future default (smaller statistics) unless the environment chose otherwise.
  process.env['LANCE_INCLUDE_VECTOR_CENTROIDS'] ??= 'false';
  // Lance reads ahead up to 2 GiB per scan and buffers 128 MiB of vectors before each spill of an
  // index build's shuffle: both were finalize memory that grew with the table (an index build over
  // 1M rows read the whole vector column ahead). Bounded here; an operator's own setting wins.
  process.env['LANCE_DEFAULT_IO_BUFFER_SIZE'] ??= String(LANCE_IO_BUFFER_BYTES);
  process.env['LANCE_SHUFFLE_BATCH_BYTES'] ??= String(LANCE_SHUFFLE_BATCH_BYTES);
  lancedbModule ??= import('@lancedb/lancedb');
  return lancedbModule;
}

/**
 * Collections are created with stable row ids. Without them, compaction maps every moved row's old
 * address to its new one, in memory, for the whole rewrite: finalize's peak grew ~145 bytes a row
 * (+145 MiB at 1M rows of 64-d, +334 MiB at 1M of 768-d). With them rows keep their ids and nothing is
 * remapped (bench/store/finalize-memory-probe.ts). Only a new table can take them: collections created
 * before keep working, with the old compaction cost.
 */
const STABLE_ROW_IDS = { new_table_enable_stable_row_ids: 'true' };
/**
 * ANN candidates re-scored on the stored vectors, as a multiple of topK. At 1M clustered 64-d vectors
 * (1,000 partitions) the PQ ranking, not the partitions probed, lost the neighbours: recall@10 was 0.85
 * with 10, 0.96 with 20 and 0.99 with 40 (nprobes 50; 100 or 200 probes with 10 gave only 0.86), for a
 * median query of 18 instead of 16 ms (bench/store/recall-probe.ts). At 300k clustered 768-d vectors
 * (96 sub-vectors) 10 gave 0.78, 20 gave 0.96 and 40 gave 1.0 (13, 15, 19 ms). At 20k rows 10 had been enough.
 */
const DEFAULT_REFINE_FACTOR = 40;
/** Compaction passes finalize makes at most before it prunes (see compactAndPrune). */
const MAX_COMPACTION_PASSES = 3;
/** Side table holding the shard ledger of a collection (see shard-ledger.ts). */
const LEDGER_SUFFIX = '__shards';
/** LanceDB's table-name rule (other names make 0.31 panic instead of failing cleanly). */
const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;
const DEFAULT_METADATA_CACHE_BYTES = 256 * 2 ** 20;
/** Shards a process records in a collection's ledger between two compactions of it. */
const LEDGER_COMPACT_EVERY = 100;
/** Rows fetched beyond topK, so that equal scores at the cut can be ordered by point id. */
const TIE_MARGIN = 8;
/** Commits on one connection after which the next idle moment replaces it (see recycleWhenIdle). */
const DEFAULT_CONNECTION_COMMITS = 200;
const DEFAULT_VERSION_GRACE_MS = 2000;
/**
 * Each write commits one version. Lance rewrites fragments of fewer than ~1M rows (its target size):
 * with shards of 1,000 rows a pass every 2,000 versions rewrites the ~2M rows written since the last one
 * plus the previous pass's last output fragment (below the target), so each row is rewritten about 1.5
 * times in an ingest instead of once by finalize, while commits stay as cheap as at 2,000 fragments and
 * versions. Not 1,000: finalize then compacts that partial fragment with the ingest's tail again, and
 * compacting one large fragment took finalize's peak further than compacting many small ones (1M x 64-d,
 * compaction alone, fresh process: +210 MiB after a pass at 1,000 versions, +115 without; the 1M ingest of
 * bench/pipeline/scale.ts got its one pass at its very end and its finalize worker went from ~255 to
 * ~350 MiB). At 2,000 an ingest of up to ~2,000 shards gets no pass at all. Keyed on the version, not on a
 * process's own writes, so that exactly one of W workers compacts (the one whose write committed that
 * version), about every 2,000 writes to the table.
 */
const DEFAULT_COMPACT_EVERY_VERSIONS = 2000;

/** The options that are counts (checked in the constructor). */
type CountOption = {
  [K in keyof LanceDbStoreOptions]-?: NonNullable<LanceDbStoreOptions[K]> extends number ? K : never;
}[keyof LanceDbStoreOptions];

interface OpenTable {
  readonly table: Table;
  readonly dimension: number;
  /** ANN probes for the table version they were read at. */
  nprobes?: { readonly version: number; readonly value: number | undefined };
}

/**
 * The embedded, single-machine VectorStore: one LanceDB (Lance format) table per collection in a local
 * folder, no server. Several worker processes may write the same folder at once: writes are idempotent
 * merges on `id`, and commit races are retried. See libs/store/README.md ("LanceDB").
 */
export class LanceDbStore implements VectorStore, ShardLedger {
  readonly uri: string;
  private readonly indexThreshold: number;
  private readonly nprobes: number | undefined;
  private readonly refineFactor: number;
  private readonly retry: RetryPolicy;
  private readonly metadataCacheBytes: number;
  private readonly connectionCommits: number;
  private readonly versionGraceMs: number;
  private readonly compactEveryVersions: number;
  private readonly ingestVersionAgeMs: number;
  private readonly onCompactionError: (collection: string, error: unknown) => void;
  private connection: Promise<Connection> | undefined;
  private tables = new Map<string, Promise<OpenTable>>();
  /** Store calls running now, and commits made on the current connection (see recycleWhenIdle). */
  private inFlight = 0;
  private commits = 0;
  private replaced = 0;
  private readonly recordedSinceCompaction = new Map<string, number>();
  private readonly ledgerCreations = new Map<string, Promise<void>>();
  private closed = false;

  constructor(options: LanceDbStoreOptions) {
    // Each count option: its value or default, checked (a name in the error says which option was wrong).
    const count = (key: CountOption, fallback: number, check = positiveInteger) =>
      check(key, options[key] ?? fallback);
    this.uri = options.uri;
    this.indexThreshold = count('indexThreshold', DEFAULT_INDEX_THRESHOLD);
    this.nprobes = options.nprobes === undefined ? undefined : positiveInteger('nprobes', options.nprobes);
    this.refineFactor = count('refineFactor', DEFAULT_REFINE_FACTOR);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.metadataCacheBytes = count('metadataCacheBytes', DEFAULT_METADATA_CACHE_BYTES);
    this.connectionCommits = count('connectionCommits', DEFAULT_CONNECTION_COMMITS);
    this.versionGraceMs = count('versionGraceMs', DEFAULT_VERSION_GRACE_MS, nonNegativeInteger);
    this.compactEveryVersions = count(
      'compactEveryVersions',
      DEFAULT_COMPACT_EVERY_VERSIONS,
      nonNegativeInteger,
    );
    this.ingestVersionAgeMs = count('ingestVersionAgeMs', INGEST_VERSION_AGE_MS, nonNegativeInteger);
    this.onCompactionError = options.onCompactionError ?? warnCompactionFailed;
  }

  async createCollection(name: string, options: CreateCollectionOptions): Promise<void> {
    return this.track(async () => {
      checkName(name);
      // Ledger names are reserved: such a table would be hidden from listCollections and clash with a ledger.
      if (name.endsWith(LEDGER_SUFFIX))
        throw new RangeError(
          `collection name "${name}" ends with "${LEDGER_SUFFIX}", reserved for shard ledgers`,
        );
      const dimension = positiveInteger('dimension', options.dimension);
      const existing = await this.tryOpen(name);
      let created = false;
      if (existing === undefined) {
        const db = await this.db();
        try {
          const table = await db.createEmptyTable(name, tableSchema(dimension), {
            mode: 'create',
            storageOptions: STABLE_ROW_IDS,
          });
          this.tables.set(name, Promise.resolve({ table, dimension }));
          created = true;
        } catch (error) {
          // Another process created it between our look and our create: check its dimension instead.
          if (!isAlreadyExists(error)) throw error;
        }
      }
      if (!created) {
        const { dimension: actual } = existing ?? (await this.open(name));
        if (actual !== dimension) {
          throw new DimensionMismatchError(name, actual, dimension, 'createCollection asked for dimension');
        }
      }
      await this.ensureLedger(name);
    });
  }

  async upsert(name: string, batch: RecordBatch, options: UpsertOptions = {}): Promise<void> {
    return this.track(async () => {
      const { table, dimension } = await this.open(name);
      const data = toLanceData(name, dimension, batch);
      if (data === undefined) return;
      // An append costs the same at any table size; a merge on id reads every stored id (see UpsertOptions).
      const write =
        options.firstWrite === true
          ? () => table.add(data)
          : () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
      const { version } = await this.guard(name, () =>
        retryOnCommitConflict(name, 'upsert', write, this.retry),
      );
      this.commits += 1;
      // Awaited, so that the shard is acknowledged (and finalize can start) only after the pass ends.
      if (this.compactEveryVersions > 0 && version % this.compactEveryVersions === 0) {
        await compactDuringIngest(
          table,
          (error) => this.onCompactionError(name, error),
          this.ingestVersionAgeMs,
        );
      }
    });
  }

  async count(name: string): Promise<number> {
    return this.track(async () => {
      const { table } = await this.open(name);
      return this.guard(name, () => table.countRows());
    });
  }

  async search(name: string, query: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    return this.track(async () => {
      const entry = await this.open(name);
      if (query.length !== entry.dimension) {
        throw new DimensionMismatchError(name, entry.dimension, query.length, 'the query has dimension');
      }
      const topK = nonNegativeInteger('topK', options.topK);
      if (topK === 0) return [];
      const exact = options.exact === true;
      const nprobes = exact ? undefined : await this.guard(name, () => this.probesFor(entry));
      const columns =
        options.withPayload === true ? ['id', '_distance', 'text', 'payload'] : ['id', '_distance'];
      for (let limit = topK + TIE_MARGIN; ; limit *= 2) {
        let request = entry.table.vectorSearch(query).distanceType('dot').select(columns).limit(limit);
        if (exact) request = request.bypassVectorIndex();
        else if (nprobes !== undefined) request = request.nprobes(nprobes).refineFactor(this.refineFactor);
        const rows = (await this.guard(name, () => request.toArray())) as ResultRow[];
        const hits = rows.map((row) => toHit(row, options.withPayload === true)).sort(compareHits);
        // Rows tied with the k-th score may lie beyond the limit: fetch more until the cut is clear.
        const kth = hits[topK - 1];
        if (rows.length < limit || kth === undefined || hits[hits.length - 1]!.hit.score < kth.hit.score) {
          return hits.slice(0, topK).map(({ hit }) => hit);
        }
      }
    });
  }

  async finalize(name: string): Promise<void> {
    return this.track(async () => {
      const entry = await this.open(name);
      const { table } = entry;
      await this.guard(name, async () => {
        if ((await finalizedVersion(table)) === (await table.version())) return;
        // Before compaction, while row ids still follow write order (see removeDuplicateIds).
        await removeDuplicateIds(table, (operation) =>
          retryOnCommitConflict(name, 'finalize (duplicate removal)', operation, this.retry),
        );
        await this.compactAndPrune(name, table);
        collectGarbage(); // the scan's and the compaction's garbage, before the index build's peak
        await this.buildVectorIndex(name, entry);
        await tagFinalized(table, await table.version());
      });
    });
  }

  /**
   * Compacts the table and deletes the versions before the compaction with the files only they use.
   *
   * Why before the index build: LanceDB's optimize() (compaction and pruning have no call of their own in
   * its Node API) also rewrites every vector index, even one that has nothing new to fold in, and prunes
   * before that rewrite, so the version it supersedes and that version's index copy stay on disk. Run
   * after the build, finalize spent 2 of its 5.4 minutes at 8.8M x 64-d (the no-encoder bench's fixed
   * vectors; less with real ones) rewriting the index it had just built and left 745 MB (18%) of files no
   * longer in use (bench/store/finalize-memory-probe.ts prints what finalize leaves). A collection finalized
   * before still pays a rewrite per optimize() call here, the first folding the rows written since into its
   * index, as it must.
   */
  private async compactAndPrune(name: string, table: Table): Promise<void> {
    // Compaction bins neighbouring small fragments, so one pass may leave two part-filled fragments that
    // the next pass merges. Left to the pruning call, that merge ran before its clean-up, which then kept
    // neither the versions nor the files of the first pass's output (8.8M x 64-d: 578 MB no version used).
    for (let pass = 1; pass <= MAX_COMPACTION_PASSES; pass++) {
      const { compaction } = await retryOnCommitConflict(
        name,
        'finalize (compaction)',
        () => table.optimize(),
        this.retry,
      );
      if (compaction.fragmentsRemoved === 0) break;
    }
    const compactedAt = new Date();
    await this.compactLedger(name, 'finalize (ledger compaction)');
    // An earlier finalize's tag would block the pruning (LanceDB keeps tagged versions). Without the tag
    // the collection reads as not finalized until the tag is set again: after a crash in between, the
    // next finalize finds the duplicates removed and nothing to compact, and builds what is missing.
    await untagFinalized(table);
    await retryOnCommitConflict(
      name,
      'finalize (pruning versions)',
      () => pruneVersionsBefore(table, compactedAt, this.versionGraceMs),
      this.retry,
    );
  }

  /** Builds the IVF-PQ index a table of this size wants, unless the one it has still fits (see needsRetrain). */
  private async buildVectorIndex(name: string, { table, dimension }: OpenTable): Promise<void> {
    const rows = await table.countRows();
    if (rows < this.indexThreshold) return;
    const wanted = planIvfPq(rows, dimension);
    const existing = (await table.listIndices()).filter((index) => index.columns.includes('vector'));
    const current = existing.map((index) => parseIndexName(index.name)).find((plan) => plan !== undefined);
    if (current !== undefined && !needsRetrain(current, wanted)) return;
    const { Index } = await loadLanceDb();
    await retryOnCommitConflict(
      name,
      'finalize (index build)',
      () =>
        table.createIndex('vector', {
          name: wanted.name,
          replace: true,
          config: Index.ivfPq({
            distanceType: 'dot',
            numPartitions: wanted.partitions,
            numSubVectors: wanted.subVectors,
            sampleRate: trainingSampleRate(wanted.partitions, dimension),
          }),
        }),
      this.retry,
    );
    // LanceDB keeps any number of indexes on a column: drop the outgrown one only now, so that searches
    // never fall back to a flat scan meanwhile. Its files stay with the versions before the drop until
    // the next finalize prunes them: pruning now would make optimize() rewrite the new index.
    for (const index of existing) {
      if (index.name === wanted.name) continue;
      await retryOnCommitConflict(
        name,
        'finalize (index drop)',
        () => table.dropIndex(index.name),
        this.retry,
      );
    }
  }

  async describe(name: string): Promise<CollectionInfo | undefined> {
    return this.track(async () => {
      checkName(name);
      const entry = await this.tryOpen(name);
      if (entry === undefined) return undefined;
      const { table, dimension } = entry;
      try {
        return await this.guard(name, async () => {
          const [count, version, tagged] = await Promise.all([
            table.countRows(),
            table.version(),
            finalizedVersion(table),
          ]);
          return { name, dimension, distance: 'dot', count, finalized: tagged === version, version };
        });
      } catch (error) {
        if (error instanceof CollectionNotFoundError) return undefined; // dropped while we looked
        throw error;
      }
    });
  }

  async listCollections(): Promise<string[]> {
    return this.track(async () => {
      const db = await this.db();
      const names: string[] = [];
      for (;;) {
        const last = names[names.length - 1];
        const page = await db.tableNames(
          last === undefined ? { limit: 1000 } : { startAfter: last, limit: 1000 },
        );
        names.push(...page);
        if (page.length < 1000) return names.filter((n) => !n.endsWith(LEDGER_SUFFIX)).sort();
      }
    });
  }

  async deleteCollection(name: string): Promise<void> {
    return this.track(async () => {
      checkName(name);
      await this.forget(name);
      const db = await this.db();
      // The ledger goes first: a crash between the two drops must leave rows without claims (a re-run
      // redoes them), never claims of shards whose rows are gone (a re-run would skip them).
      for (const table of [`${name}${LEDGER_SUFFIX}`, name]) {
        try {
          await db.dropTable(table);
        } catch (error) {
          if (!isTableNotFound(error)) throw error;
        }
      }
    });
  }

  /** Streams every stored point (id, vector, text, payload) in store order, batch by batch. */
  async *scan(name: string): AsyncGenerator<EmbeddedRows> {
    this.inFlight += 1;
    try {
      yield* this.scanRows(name);
    } finally {
      this.release();
    }
  }

  private async *scanRows(name: string): AsyncGenerator<EmbeddedRows> {
    const { table, dimension } = await this.open(name);
    const query = table.query().select(['id', 'vector', 'text', 'payload']);
    for await (const batch of query) {
      const ids = (batch.getChild('id')?.toArray() ?? []) as string[];
      const texts = (batch.getChild('text')?.toArray() ?? []) as string[];
      const payloads = (batch.getChild('payload')?.toArray() ?? []) as (string | null)[];
      const vectors = new Float32Array(ids.length * dimension);
      const column = batch.getChild('vector');
      for (let i = 0; i < ids.length; i++)
        vectors.set(column?.get(i).toArray() as Float32Array, i * dimension);
      yield {
        ids,
        texts,
        vectors,
        dimension,
        payloads: payloads.map((p) =>
          p === null || p === undefined ? null : (JSON.parse(p) as Record<string, unknown>),
        ),
      };
    }
  }

  /** The shard ledger lives in a side table, `<collection>__shards`, keyed by shard. */
  async recordShard(name: string, shardKey: string, records: number): Promise<void> {
    return this.track(async () => {
      checkName(name);
      const row = [{ shard: shardKey, records }];
      // An append, not a merge: a merge scans every ledger fragment (one per shard), so recording grew
      // slower with each shard. A shard recorded twice (a retry) reads back once: see completedShards.
      const append = (ledger: Table) => ledger.add(row).then(() => true);
      await retryOnCommitConflict(
        name,
        'recordShard',
        async () => {
          if ((await this.withLedger(name, append)) !== undefined) return;
          await this.open(name); // a ledger only for a collection that exists: else CollectionNotFoundError
          await this.createLedger(name);
          await this.withLedger(name, append);
        },
        this.retry,
      );
      this.commits += 1;
      if (this.dueForLedgerCompaction(name))
        await this.compactLedger(name, 'recordShard (ledger compaction)');
    });
  }

  /**
   * Creates a collection's ledger where it has none. createCollection calls it, as every worker process
   * does before embedding its first shard: so the ledger exists well before a shard is recorded, and
   * processes that start together race only while nothing is in it (see createLedger).
   */
  private async ensureLedger(name: string): Promise<void> {
    if ((await this.withLedger(name, async () => true)) === undefined) await this.createLedger(name);
  }

  /**
   * Creates a collection's ledger, empty, one creation per collection at a time in this process.
   *
   * Why: LanceDB can let two concurrent creates of one table both succeed, the later one landing as an
   * overwrite (9 of 20 tries in one process). Created with the first shard's row, the ledger lost a record
   * whenever two shards finished together (an 8.8M ingest's shard 0); created empty by each, an overwrite
   * could still drop a record appended in between. Processes no longer create it at their first record:
   * createCollection does (ensureLedger), before a shard is embedded. recordShard still creates a missing
   * one (a collection made before that); a record lost there only makes a resumed ingest redo that shard.
   */
  private createLedger(name: string): Promise<void> {
    let creating = this.ledgerCreations.get(name);
    if (creating === undefined) {
      creating = (async () => {
        try {
          await (
            await this.db()
          ).createEmptyTable(`${name}${LEDGER_SUFFIX}`, ledgerSchema(), { mode: 'create' });
        } catch (error) {
          if (!isAlreadyExists(error)) throw error;
        }
      })().finally(() => this.ledgerCreations.delete(name));
      this.ledgerCreations.set(name, creating);
    }
    return creating;
  }

  /**
   * Each recorded shard adds a ledger fragment, and a process's memory grows with the fragments of the
   * tables it opens (measured: 1,500 one-row fragments, +470 MiB). Compacting every
   * LEDGER_COMPACT_EVERY records keeps the ledger at a few fragments (flat at ~200 MiB in the same test).
   */
  private dueForLedgerCompaction(name: string): boolean {
    const recorded = (this.recordedSinceCompaction.get(name) ?? 0) + 1;
    this.recordedSinceCompaction.set(name, recorded % LEDGER_COMPACT_EVERY);
    return recorded === LEDGER_COMPACT_EVERY;
  }

  /**
   * Compacts the ledger's fragments into one and deletes its versions older than `ingestVersionAgeMs`,
   * so that reading or writing it stays cheap: with one version per recorded shard, recording took
   * 8 ms at 500 shards and 15 ms at 4,000 (see compactDuringIngest).
   */
  private async compactLedger(name: string, operation: string): Promise<void> {
    await this.withLedger(name, (ledger) =>
      retryOnCommitConflict(
        name,
        operation,
        () => ledger.optimize({ cleanupOlderThan: new Date(Date.now() - this.ingestVersionAgeMs) }),
        this.retry,
      ),
    );
  }

  async completedShards(name: string): Promise<Map<string, number>> {
    return this.track(async () => {
      checkName(name);
      const shards = new Map<string, number>();
      await this.withLedger(name, async (ledger) => {
        for await (const batch of ledger.query().select(['shard', 'records'])) {
          const keys = batch.getChild('shard')?.toArray() as string[];
          const counts = batch.getChild('records')?.toArray() as ArrayLike<number | bigint>;
          keys.forEach((key, i) => shards.set(key, Number(counts[i])));
        }
      });
      return shards;
    });
  }

  /**
   * Runs `use` on the collection's ledger, opened for it and closed after (an open handle keeps its
   * dataset's state in native memory until the JS object is collected, and a worker records a shard
   * every few seconds). Undefined, without calling `use`, when the collection has no ledger yet.
   */
  private async withLedger<T>(name: string, use: (ledger: Table) => Promise<T>): Promise<T | undefined> {
    let ledger: Table;
    try {
      ledger = await (await this.db()).openTable(`${name}${LEDGER_SUFFIX}`);
    } catch (error) {
      if (isTableNotFound(error)) return undefined;
      throw error;
    }
    try {
      return await use(ledger);
    } finally {
      ledger.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of [...this.tables.keys()]) await this.forget(name);
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) (await connection).close();
  }

  /** The ANN index finalize built on the collection, or undefined when it is searched by flat scan. */
  async vectorIndex(name: string): Promise<LanceDbVectorIndex | undefined> {
    return this.track(async () => {
      const { table } = await this.open(name);
      return this.guard(name, async () => {
        for (const index of await table.listIndices()) {
          const plan = parseIndexName(index.name);
          if (plan === undefined || !index.columns.includes('vector')) continue;
          const stats = await table.indexStats(index.name);
          return {
            ...plan,
            type: 'IVF_PQ',
            indexedRows: stats?.numIndexedRows ?? 0,
            unindexedRows: stats?.numUnindexedRows ?? 0,
          };
        }
        return undefined;
      });
    });
  }

  /** Runs one store call, counted so that the connection is only replaced between calls. */
  private async track<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await call();
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0 && this.commits >= this.connectionCommits) this.recycleWhenIdle();
  }

  /**
   * Replaces the connection (and the table handles opened through it) with a fresh one. Why: LanceDB
   * holds native memory per commit made through a connection until the connection is closed (measured:
   * ~0.3 MiB per append, so a worker grew by 300 MiB over 1,000 shards and would grow by GiBs over an
   * 8.8M-passage ingest; neither its caches nor closing tables released it). Only while no call runs, so
   * no call ever sees its handles closed: the swap is synchronous, and later calls open new handles.
   */
  private recycleWhenIdle(): void {
    const connection = this.connection;
    const tables = [...this.tables.values()];
    this.connection = undefined;
    this.tables = new Map();
    this.commits = 0;
    this.replaced += 1;
    void (async () => {
      for (const pending of tables) {
        try {
          (await pending).table.close();
        } catch {
          // Never opened, or already closed: nothing to release.
        }
      }
      if (connection !== undefined) (await connection).close();
    })().catch(() => undefined);
  }

  /** How many times the connection was replaced (for tests and diagnostics). */
  get connectionsReplaced(): number {
    return this.replaced;
  }

  private db(): Promise<Connection> {
    if (this.closed) throw new Error(`LanceDbStore(${this.uri}) is closed`);
    this.connection ??= (async () => {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(this.uri)) await mkdir(this.uri, { recursive: true });
      // Interval 0: every read sees the latest commit of any process (workers write concurrently).
      const { connect, Session } = await loadLanceDb();
      // LanceDB's default index cache (6 GiB) stays: only searches fill it, with the ANN index they use.
      const session = new Session(undefined, BigInt(this.metadataCacheBytes));
      return connect(this.uri, { readConsistencyInterval: 0 }, session);
    })();
    return this.connection;
  }

  /** The open table of a collection; `CollectionNotFoundError` when there is none. */
  private async open(name: string): Promise<OpenTable> {
    const entry = await this.tryOpen(name);
    if (entry === undefined) throw new CollectionNotFoundError(name);
    return entry;
  }

  private async tryOpen(name: string): Promise<OpenTable | undefined> {
    checkName(name);
    const db = await this.db();
    let pending = this.tables.get(name);
    if (pending === undefined) {
      pending = (async () => {
        const table = await db.openTable(name);
        const schema = await table.schema();
        const dimension = schemaDimension(schema);
        if (dimension === undefined) {
          throw new TypeError(
            `LanceDB table "${name}" in ${this.uri} is not an Embedline collection (no vector column)`,
          );
        }
        // A table created by other code may lack the key that makes concurrent merges duplicate-free.
        if (!hasPrimaryKey(schema)) {
          try {
            await table.setUnenforcedPrimaryKey('id');
          } catch (error) {
            if (!hasPrimaryKey(await table.schema())) throw error; // else another process set it first
          }
        }
        return { table, dimension };
      })();
      this.tables.set(name, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (this.tables.get(name) === pending) this.tables.delete(name);
      if (isTableNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Runs a table operation; a table dropped meanwhile (by any process) reads as a missing collection. */
  private async guard<T>(name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isTableNotFound(error)) throw error;
      await this.forget(name);
      throw new CollectionNotFoundError(name, { cause: error });
    }
  }

  private async forget(name: string): Promise<void> {
    const pending = this.tables.get(name);
    this.tables.delete(name);
    if (pending === undefined) return;
    try {
      (await pending).table.close();
    } catch {
      // Never opened, or already closed: nothing to release.
    }
  }

  private async probesFor(entry: OpenTable): Promise<number | undefined> {
    const version = await entry.table.version();
    if (entry.nprobes?.version !== version) {
      const plan = (await entry.table.listIndices())
        .map((index) => parseIndexName(index.name))
        .find((p) => p !== undefined);
      const value = plan === undefined ? undefined : (this.nprobes ?? defaultNprobes(plan.partitions));
      entry.nprobes = { version, value };
    }
    return entry.nprobes.value;
  }
}

interface ResultRow {
  readonly id: string;
  readonly _distance: number;
  readonly text?: string;
  readonly payload?: string | null;
}

interface RankedHit {
  readonly hit: SearchHit;
  readonly key: number | string;
}

/** LanceDB's `dot` distance is `1 - dot` (checked against exact scores in the tests). */
function toHit(row: ResultRow, withPayload: boolean): RankedHit {
  const score = 1 - row._distance;
  const hit: SearchHit = withPayload
    ? {
        id: row.id,
        score,
        payload: { text: row.text, ...(row.payload == null ? {} : JSON.parse(row.payload)) },
      }
    : { id: row.id, score };
  return { hit, key: pointId(row.id) };
}

/** Best score first; equal scores by lower point id. */
function compareHits(a: RankedHit, b: RankedHit): number {
  return a.hit.score !== b.hit.score ? b.hit.score - a.hit.score : comparePointIds(a.key, b.key);
}

function checkName(name: string): void {
  if (!TABLE_NAME.test(name)) {
    throw new RangeError(
      `collection name "${name}" is not allowed: LanceDB table names use only letters, digits, "_", "-" and "."`,
    );
  }
}

function warnCompactionFailed(collection: string, error: unknown): void {
  process.emitWarning(
    `compacting collection "${collection}" during the ingest failed (its rows are stored; the next pass or finalize compacts it): ${messageOf(error)}`,
    'EmbeddedStoreWarning',
  );
}

function positiveInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  }
  return value;
}
