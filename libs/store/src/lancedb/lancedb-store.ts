import { resolve } from 'node:path';
import type { AddResult, MergeResult, Table } from '@lancedb/lancedb';
import type { RecordBatch } from 'apache-arrow';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import type { EmbeddedRows } from '../embedded-batch.ts';
import type {
  CollectionInfo,
  CreateCollectionOptions,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStore,
} from '../vector-store.ts';
import { AppendGroups } from './append-groups.ts';
import { joinLanceData, tableSchema, toLanceData } from './arrow-interop.ts';
import { retryOnLostRace } from './commit-retry.ts';
import { compactDuringIngest, ingestPassDue, type IngestCommit } from './compact-during-ingest.ts';
import { finalizeCollection } from './finalize-collection.ts';
import { finalizedVersion } from './finalized-tag.ts';
import { isAlreadyExists, isTableNotFound } from './lance-errors.ts';
import { LanceShardLedger } from './lance-shard-ledger.ts';
import { WriteLock } from './write-lock.ts';
import { scanTable } from './scan-table.ts';
import { searchTable } from './search-table.ts';
import {
  positiveInteger,
  resolveStoreOptions,
  type LanceDbStoreOptions,
  type ResolvedLanceDbStoreOptions,
} from './store-options.ts';
import { TableHandles, type OpenTable } from './table-handles.ts';
import { isLedgerName, ledgerName, type ShardLedger } from '../shard-ledger.ts';
import { checkCollectionName, checkName } from './table-names.ts';
import { describeVectorIndex, type LanceDbVectorIndex } from './vector-index.ts';

/** Rows as LanceDB takes them (toLanceData's table). */
type LanceData = NonNullable<ReturnType<typeof toLanceData>>;

export type { LanceDbStoreOptions } from './store-options.ts';
export type { LanceDbVectorIndex } from './vector-index.ts';

/**
 * Collections are created with stable row ids. Without them, compaction maps every moved row's old
 * address to its new one, in memory, for the whole rewrite: finalize's peak grew ~145 bytes a row
 * (+145 MiB at 1M rows of 64-d, +334 MiB at 1M of 768-d). With them rows keep their ids and nothing is
 * remapped (bench/store/finalize-memory-probe.ts). Only a new table can take them: collections created
 * before keep working, with the old compaction cost.
 */
const STABLE_ROW_IDS = { new_table_enable_stable_row_ids: 'true' };
/** Table names LanceDB lists per call. */
const TABLE_NAMES_PAGE = 1000;

/**
 * The embedded, single-machine VectorStore: one LanceDB (Lance format) table per collection in a local
 * folder, no server. Several worker processes may write the same folder at once: writes are idempotent
 * merges on `id`, and commit races are retried. See libs/store/README.md ("LanceDB").
 *
 * A facade: the connection and table handles are TableHandles', the shard ledger LanceShardLedger's,
 * finalize, search and the ANN index live in files of their own.
 */
export class LanceDbStore implements VectorStore, ShardLedger {
  readonly uri: string;
  /** The folder in full: the default (.embedline/lancedb) is relative to the current folder. */
  readonly location: string;
  readonly #options: ResolvedLanceDbStoreOptions;
  readonly #handles: TableHandles;
  readonly #ledger: LanceShardLedger;
  readonly #appends = new AppendGroups<LanceData>();

  constructor(options: LanceDbStoreOptions) {
    this.#options = resolveStoreOptions(options);
    this.uri = this.#options.uri;
    const where = this.uri.includes('://') ? this.uri : resolve(this.uri);
    this.location = `the LanceDB store at ${where} (EMBEDLINE_LANCEDB_DIR)`;
    this.#handles = new TableHandles(this.#options);
    this.#ledger = new LanceShardLedger(this.#handles, {
      retry: this.#options.retry,
      versionAgeMs: this.#options.ingestVersionAgeMs,
      onCompactionError: this.#options.onCompactionError,
    });
  }

  async createCollection(name: string, options: CreateCollectionOptions): Promise<void> {
    return this.#handles.track(async () => {
      checkCollectionName(name);
      const dimension = positiveInteger('dimension', options.dimension);
      const entry = (await this.#handles.tryOpen(name)) ?? (await this.#create(name, dimension));
      if (entry.dimension !== dimension) {
        throw new DimensionMismatchError(
          name,
          entry.dimension,
          dimension,
          'createCollection asked for dimension',
        );
      }
      await this.#ledger.ensure(name);
    });
  }

  async upsert(name: string, batch: RecordBatch, options: UpsertOptions = {}): Promise<void> {
    return this.#handles.track(async () => {
      const { table, dimension } = await this.#handles.open(name);
      const data = toLanceData(name, dimension, batch);
      if (data === undefined) return;
      // One writer at a time (see WriteLock). An append costs the same at any table size and joins the appends
      // waiting for the same turn (AppendGroups); a merge on id reads every stored id (see UpsertOptions).
      const lock = new WriteLock(this.uri, name);
      if (options.firstWrite === true) {
        return this.#appends.add(name, data, (take) =>
          lock.holding(() => this.#commit(name, table, joinLanceData(take()), 'append')),
        );
      }
      await lock.holding(() => this.#commit(name, table, data, 'merge'));
    });
  }

  /**
   * Commits rows, holding the lock's turn, and makes the ingest's compaction pass when this commit makes one due,
   * under the same turn, so that the shards are acknowledged (and finalize can start) only after the pass ends.
   */
  async #commit(name: string, table: Table, data: LanceData, how: 'append' | 'merge'): Promise<void> {
    const write: () => Promise<AddResult | MergeResult> =
      how === 'append'
        ? () => table.add(data)
        : () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
    const committed = await this.#handles.guard(name, () =>
      retryOnLostRace(name, 'upsert', write, this.#options.retry),
    );
    this.#handles.committed();
    const rowsAdded =
      'numInsertedRows' in committed ? committed.numInsertedRows - committed.numDeletedRows : data.numRows;
    await this.#compactIfDue(name, table, { version: committed.version, rowsAdded });
  }

  /**
   * The ingest's compaction pass, when this write's commit makes one due (see ingestPassDue). Never
   * throws: the rows are stored, and a failed check or pass goes to onCompactionError like a failed pass.
   */
  async #compactIfDue(name: string, table: Table, commit: IngestCommit): Promise<void> {
    const { compactEveryVersions, compactEveryRows, ingestVersionAgeMs, onCompactionError } = this.#options;
    const onError = (error: unknown) => onCompactionError(name, error);
    const schedule = { everyVersions: compactEveryVersions, everyRows: compactEveryRows };
    const due = await ingestPassDue(table, commit, schedule).catch((error: unknown) => {
      onError(error);
      return false;
    });
    if (due) await compactDuringIngest(table, onError, ingestVersionAgeMs);
  }

  async count(name: string): Promise<number> {
    return this.#handles.track(async () => {
      const { table } = await this.#handles.open(name);
      return this.#handles.guard(name, () => table.countRows());
    });
  }

  async search(name: string, query: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    return this.#handles.track(async () => {
      const entry = await this.#handles.open(name);
      return searchTable(name, entry, query, options, this.#options, (operation) =>
        this.#handles.guard(name, operation),
      );
    });
  }

  async finalize(name: string): Promise<void> {
    return this.#handles.track(async () => {
      const entry = await this.#handles.open(name);
      await this.#handles.guard(name, () =>
        finalizeCollection(name, entry, {
          ...this.#options,
          compactLedger: () => this.#ledger.compact(name, 'finalize (ledger compaction)'),
        }),
      );
    });
  }

  async describe(name: string): Promise<CollectionInfo | undefined> {
    return this.#handles.track(async () => {
      checkName(name);
      const entry = await this.#handles.tryOpen(name);
      if (entry === undefined) return undefined;
      const { table, dimension } = entry;
      try {
        return await this.#handles.guard(name, async () => {
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
    return this.#handles.track(async () => {
      const db = await this.#handles.db();
      const names: string[] = [];
      for (;;) {
        const last = names[names.length - 1];
        const page = await db.tableNames(
          last === undefined ? { limit: TABLE_NAMES_PAGE } : { startAfter: last, limit: TABLE_NAMES_PAGE },
        );
        names.push(...page);
        if (page.length < TABLE_NAMES_PAGE) return names.filter((n) => !isLedgerName(n)).sort();
      }
    });
  }

  async deleteCollection(name: string): Promise<void> {
    return this.#handles.track(async () => {
      checkName(name);
      await this.#handles.forget(name);
      const db = await this.#handles.db();
      // The ledger goes first: a crash between the two drops must leave rows without claims (a re-run
      // redoes them), never claims of shards whose rows are gone (a re-run would skip them).
      for (const table of [ledgerName(name), name]) {
        try {
          await db.dropTable(table);
        } catch (error) {
          if (!isTableNotFound(error)) throw error;
        }
      }
      await new WriteLock(this.uri, name).remove();
    });
  }

  /** Streams every stored point (id, vector, text, payload) in store order, batch by batch. */
  scan(name: string): AsyncGenerator<EmbeddedRows> {
    const handles = this.#handles;
    return handles.trackStream(async function* () {
      yield* scanTable(await handles.open(name));
    });
  }

  /** The shard ledger lives in a side table, `<collection>__shards`, keyed by shard. */
  async recordShard(name: string, shardKey: string, records: number): Promise<void> {
    return this.#handles.track(async () => {
      checkName(name);
      await this.#ledger.record(name, shardKey, records);
    });
  }

  async completedShards(name: string): Promise<Map<string, number>> {
    return this.#handles.track(async () => {
      checkName(name);
      return this.#ledger.completed(name);
    });
  }

  /** The ANN index finalize built on the collection, or undefined when it is searched by flat scan. */
  async vectorIndex(name: string): Promise<LanceDbVectorIndex | undefined> {
    return this.#handles.track(async () => {
      const { table } = await this.#handles.open(name);
      return this.#handles.guard(name, () => describeVectorIndex(table));
    });
  }

  /** How many times the connection was replaced (for tests and diagnostics; see TableHandles). */
  get connectionsReplaced(): number {
    return this.#handles.connectionsReplaced;
  }

  async close(): Promise<void> {
    await this.#handles.close();
  }

  /**
   * Creates the collection's table. When another process created it between our look and our create,
   * opens theirs (whose dimension the caller checks).
   */
  async #create(name: string, dimension: number): Promise<OpenTable> {
    const db = await this.#handles.db();
    try {
      const table = await db.createEmptyTable(name, tableSchema(dimension), {
        mode: 'create',
        storageOptions: STABLE_ROW_IDS,
      });
      const entry = { table, dimension };
      this.#handles.adopt(name, entry);
      return entry;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      return this.#handles.open(name);
    }
  }
}
