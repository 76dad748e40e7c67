// The embedded store's shard ledger (see ../shard-ledger.ts): a side table per collection,
// `<collection>__shards`, one row per recorded shard.
import type { Table } from '@lancedb/lancedb';
import { ledgerSchema } from './arrow-interop.ts';
import { retryOnLostRace, type RetryPolicy } from './commit-retry.ts';
import { compactDuringIngest } from './compact-during-ingest.ts';
import { isAlreadyExists, isTableNotFound } from './lance-errors.ts';
import { openTable, type TableHandles } from './table-handles.ts';
import { ledgerName } from '../shard-ledger.ts';

/**
 * A collection's ledger is compacted by the record that commits a multiple of this version: each record
 * adds a fragment, and a process's memory grows with the fragments of the tables it opens (measured:
 * 1,500 one-row fragments, +470 MiB; compacted every 100, flat at ~200 MiB). Keyed on
 * the ledger's version, not on each process's own records: then W worker processes compacted it W times
 * per 100 records, often at the same moment, and one's cleanup deleted the versions another's compaction
 * was reading (bench/store/two-writer-probe.ts, two writers: a failed record every few hundred shards,
 * each one a shard embedded and written again).
 */
const LEDGER_COMPACT_EVERY = 100;

export interface LanceShardLedgerOptions {
  readonly retry: RetryPolicy;
  /** The ledger's compactions delete its versions superseded longer ago than this. */
  readonly versionAgeMs: number;
  /** Told when a compaction of the ledger during an ingest failed (the record itself was stored). */
  readonly onCompactionError: (collection: string, error: unknown) => void;
}

/** The ledgers of a LanceDbStore's collections, opened through its handles; names are checked by the store. */
export class LanceShardLedger {
  readonly #handles: TableHandles;
  readonly #options: LanceShardLedgerOptions;
  readonly #creations = new Map<string, Promise<void>>();

  constructor(handles: TableHandles, options: LanceShardLedgerOptions) {
    this.#handles = handles;
    this.#options = options;
  }

  async record(name: string, shardKey: string, records: number): Promise<void> {
    const row = [{ shard: shardKey, records }];
    // An append, not a merge: a merge scans every ledger fragment (one per shard), so recording grew
    // slower with each shard. A shard recorded twice (a retry) reads back once: see completed.
    // Compacting is upkeep: a record that was stored never fails because its compaction did.
    const appendAndCompact = async (ledger: Table) => {
      const { version } = await ledger.add(row);
      if (version % LEDGER_COMPACT_EVERY === 0) {
        const { versionAgeMs, onCompactionError } = this.#options;
        await compactDuringIngest(ledger, (error) => onCompactionError(name, error), versionAgeMs);
      }
      return true;
    };
    await retryOnLostRace(
      name,
      'recordShard',
      async () => {
        if ((await this.#withLedger(name, appendAndCompact)) !== undefined) return;
        await this.#handles.open(name); // a ledger only for a collection that exists: else CollectionNotFoundError
        await this.#create(name);
        await this.#withLedger(name, appendAndCompact);
      },
      this.#options.retry,
    );
    this.#handles.committed();
  }

  /** Each recorded shard with its record count; the last record wins where a shard was recorded twice. */
  async completed(name: string): Promise<Map<string, number>> {
    // Retried whole when another process's compaction deleted the version being read (isLostRace).
    return retryOnLostRace(
      name,
      'completedShards',
      async () => {
        const shards = new Map<string, number>();
        await this.#withLedger(name, async (ledger) => {
          for await (const batch of ledger.query().select(['shard', 'records'])) {
            const keys = batch.getChild('shard')?.toArray() as string[];
            const counts = batch.getChild('records')?.toArray() as ArrayLike<number | bigint>;
            keys.forEach((key, i) => shards.set(key, Number(counts[i])));
          }
        });
        return shards;
      },
      this.#options.retry,
    );
  }

  /**
   * Creates a collection's ledger where it has none. createCollection calls it, as every worker process
   * does before embedding its first shard: so the ledger exists well before a shard is recorded, and
   * processes that start together race only while nothing is in it (see #create).
   */
  async ensure(name: string): Promise<void> {
    if ((await this.#withLedger(name, async () => true)) === undefined) await this.#create(name);
  }

  /**
   * Compacts the ledger's fragments into one and deletes its versions older than `versionAgeMs`,
   * so that reading or writing it stays cheap: with one version per recorded shard, recording took
   * 8 ms at 500 shards and 15 ms at 4,000 (see compactDuringIngest).
   */
  async compact(name: string, operation: string): Promise<void> {
    const { retry, versionAgeMs } = this.#options;
    await this.#withLedger(name, (ledger) =>
      retryOnLostRace(
        name,
        operation,
        () => ledger.optimize({ cleanupOlderThan: new Date(Date.now() - versionAgeMs) }),
        retry,
      ),
    );
  }

  /**
   * Creates a collection's ledger, empty, one creation per collection at a time in this process.
   *
   * Why: LanceDB can let two concurrent creates of one table both succeed, the later one landing as an
   * overwrite (9 of 20 tries in one process). Created with the first shard's row, the ledger lost a record
   * whenever two shards finished together (an 8.8M ingest's shard 0); created empty by each, an overwrite
   * could still drop a record appended in between. Processes no longer create it at their first record:
   * createCollection does (ensure), before a shard is embedded. record still creates a missing one (a
   * collection made before that); a record lost there only makes a resumed ingest redo that shard.
   */
  #create(name: string): Promise<void> {
    let creating = this.#creations.get(name);
    if (creating === undefined) {
      creating = (async () => {
        try {
          const db = await this.#handles.db();
          await db.createEmptyTable(ledgerName(name), ledgerSchema(), { mode: 'create' });
        } catch (error) {
          if (!isAlreadyExists(error)) throw error;
        }
      })().finally(() => this.#creations.delete(name));
      this.#creations.set(name, creating);
    }
    return creating;
  }

  /**
   * Runs `use` on the collection's ledger, opened for it and closed after (an open handle keeps its
   * dataset's state in native memory until the JS object is collected, and a worker records a shard
   * every few seconds). Undefined, without calling `use`, when the collection has no ledger yet.
   */
  async #withLedger<T>(name: string, use: (ledger: Table) => Promise<T>): Promise<T | undefined> {
    let ledger: Table;
    try {
      ledger = await openTable(await this.#handles.db(), ledgerName(name));
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
}
