// One LanceDB connection and the collections' open table handles, replaced after enough commits
// (LanceDB holds native memory per commit until its connection closes).
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import type { Connection, Table } from '@lancedb/lancedb';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { hasPrimaryKey, schemaDimension } from './arrow-interop.ts';
import { retryOnLostRace } from './commit-retry.ts';
import { isTableNotFound } from './lance-errors.ts';
import { loadLanceDb } from './lance-module.ts';
import { checkName, isLocalFolder } from './table-names.ts';

/** A collection's table, opened and checked. */
export interface OpenTable {
  readonly table: Table;
  readonly dimension: number;
  /** ANN probes for the table version they were read at (see search-table.ts). */
  nprobes?: { readonly version: number; readonly value: number | undefined };
}

export interface TableHandlesOptions {
  readonly uri: string;
  /** Ceiling of LanceDB's file-metadata cache, in bytes (see LanceDbStoreOptions.metadataCacheBytes). */
  readonly metadataCacheBytes: number;
  /** Commits on one connection before later calls get a new one. */
  readonly connectionCommits: number;
}

/** A connection and the table handles opened through it, with the store calls that use them. */
class Generation {
  connection: Promise<Connection> | undefined;
  readonly tables = new Map<string, Promise<OpenTable>>();
  /** Store calls that began on this generation and have not ended. */
  calls = 0;
  commits = 0;
  /** Later calls get a newer generation; this one closes when its last call ends. */
  retired = false;
}

/**
 * The store's connection and its open tables. Every store call runs through `track`, and keeps the
 * connection (the generation) it began on to its end, so that a connection is never closed under a
 * call, however long (a scan), and is replaced even when calls overlap without pause (see #retire).
 */
export class TableHandles {
  readonly #options: TableHandlesOptions;
  /** The generation of the call running in this async context. */
  readonly #scope = new AsyncLocalStorage<Generation>();
  #current = new Generation();
  readonly #live = new Set<Generation>([this.#current]);
  #replaced = 0;
  #closed = false;

  constructor(options: TableHandlesOptions) {
    this.#options = options;
  }

  /** Runs one store call on the current generation (or, nested, on its caller's). */
  async track<T>(call: () => Promise<T>): Promise<T> {
    const generation = this.#enter();
    try {
      return await this.#scope.run(generation, call);
    } finally {
      this.#leave(generation);
    }
  }

  /**
   * `track` for a stream: the call lasts until the consumer stops reading. Each step runs in the
   * stream's generation, since a generator's body runs in the context of whoever asks for the next item.
   */
  async *trackStream<T>(stream: () => AsyncGenerator<T>): AsyncGenerator<T> {
    const generation = this.#enter();
    const steps = stream();
    try {
      for (;;) {
        const step = await this.#scope.run(generation, () => steps.next());
        if (step.done === true) return;
        yield step.value;
      }
    } finally {
      await this.#scope.run(generation, async () => steps.return(undefined));
      this.#leave(generation);
    }
  }

  /** Counts a commit (a write, a ledger record) made through the calling generation's connection. */
  committed(): void {
    this.#generation().commits += 1;
  }

  /** How many times the connection was replaced (for tests and diagnostics). */
  get connectionsReplaced(): number {
    return this.#replaced;
  }

  db(): Promise<Connection> {
    if (this.#closed) throw new Error(`LanceDbStore(${this.#options.uri}) is closed`);
    const generation = this.#generation();
    generation.connection ??= this.#connect();
    return generation.connection;
  }

  /** The open table of a collection; `CollectionNotFoundError` when there is none. */
  async open(name: string): Promise<OpenTable> {
    const entry = await this.tryOpen(name);
    if (entry === undefined) throw new CollectionNotFoundError(name);
    return entry;
  }

  /** The open table of a collection, or undefined when there is none. */
  async tryOpen(name: string): Promise<OpenTable | undefined> {
    checkName(name);
    const { tables } = this.#generation();
    const db = await this.db();
    let pending = tables.get(name);
    if (pending === undefined) {
      pending = this.#openChecked(db, name);
      tables.set(name, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (tables.get(name) === pending) tables.delete(name);
      if (isTableNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Keeps a table this process has just created, as if opened. */
  adopt(name: string, entry: OpenTable): void {
    this.#generation().tables.set(name, Promise.resolve(entry));
  }

  /** Runs a table operation; a table dropped meanwhile (by any process) reads as a missing collection. */
  async guard<T>(name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isTableNotFound(error)) throw error;
      await this.forget(name);
      throw new CollectionNotFoundError(name, { cause: error });
    }
  }

  /** Closes the collection's handle, if open, in the caller's generation and the current one; the next call opens it again. */
  async forget(name: string): Promise<void> {
    for (const { tables } of new Set([this.#generation(), this.#current])) {
      const pending = tables.get(name);
      tables.delete(name);
      if (pending !== undefined) await closeQuietly(pending);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const generation of this.#live) await closeGeneration(generation);
    this.#live.clear();
  }

  async #connect(): Promise<Connection> {
    const { uri, metadataCacheBytes } = this.#options;
    if (isLocalFolder(uri)) await mkdir(uri, { recursive: true });
    const { connect, Session } = await loadLanceDb();
    // LanceDB's default index cache (6 GiB) stays: only searches fill it, with the ANN index they use.
    const session = new Session(undefined, BigInt(metadataCacheBytes));
    // Interval 0: every read sees the latest commit of any process (workers write concurrently).
    return connect(uri, { readConsistencyInterval: 0 }, session);
  }

  async #openChecked(db: Connection, name: string): Promise<OpenTable> {
    const table = await openTable(db, name);
    const schema = await table.schema();
    const dimension = schemaDimension(schema);
    if (dimension === undefined) {
      throw new TypeError(
        `LanceDB table "${name}" in ${this.#options.uri} is not an Embedline collection (no vector column)`,
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
  }

  /** The generation of the running call; the current one outside any. */
  #generation(): Generation {
    return this.#scope.getStore() ?? this.#current;
  }

  #enter(): Generation {
    const generation = this.#generation();
    generation.calls += 1;
    return generation;
  }

  #leave(generation: Generation): void {
    generation.calls -= 1;
    if (generation === this.#current && generation.commits >= this.#options.connectionCommits) this.#retire();
    if (generation.retired && generation.calls === 0 && this.#live.delete(generation)) {
      void closeGeneration(generation);
    }
  }

  /**
   * Gives later calls a fresh connection; the old one closes when the calls still using it end. Why:
   * LanceDB holds native memory per commit made through a connection until the connection is closed
   * (measured: ~0.3 MiB per append, so a worker grew by 300 MiB over 1,000 shards and would grow by
   * GiBs over an 8.8M-passage ingest; neither its caches nor closing tables released it). It used to
   * wait for a moment with no call running, which a worker with two shards in flight, one writing as
   * the other recorded, almost never had (bench/store/two-writer-probe.ts: 458 MiB after 900 shards,
   * against 233 MiB with one shard in flight).
   */
  #retire(): void {
    this.#current.retired = true;
    this.#current = new Generation();
    this.#live.add(this.#current);
    this.#replaced += 1;
  }
}

/**
 * Opens a table at its latest version. Opening lists the versions and reads the latest: another process's
 * compaction may delete it between the two (a reader of a table being loaded), and opening again finds
 * the newer one.
 */
export function openTable(db: Connection, name: string): Promise<Table> {
  return retryOnLostRace(name, 'open', () => db.openTable(name));
}

/** Closes a generation's tables, then its connection; what was never opened or is closed already is skipped. */
async function closeGeneration(generation: Generation): Promise<void> {
  try {
    for (const pending of generation.tables.values()) await closeQuietly(pending);
    generation.tables.clear();
    if (generation.connection !== undefined) (await generation.connection).close();
  } catch {
    // A connection that failed to open has nothing to release.
  }
}

async function closeQuietly(pending: Promise<OpenTable>): Promise<void> {
  try {
    (await pending).table.close();
  } catch {
    // Never opened, or already closed: nothing to release.
  }
}
