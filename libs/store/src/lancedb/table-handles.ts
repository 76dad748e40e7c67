// One LanceDB connection and the collections' open table handles, replaced at an idle moment after
// enough commits (LanceDB holds native memory per commit until its connection closes).
import { mkdir } from 'node:fs/promises';
import type { Connection, Table } from '@lancedb/lancedb';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { hasPrimaryKey, schemaDimension } from './arrow-interop.ts';
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
  /** Commits on one connection before it is replaced at an idle moment. */
  readonly connectionCommits: number;
}

/**
 * The store's connection and its open tables. Every store call runs through `track`, so that the
 * connection is only ever replaced between calls, never under one (see recycleWhenIdle).
 */
export class TableHandles {
  readonly #options: TableHandlesOptions;
  #connection: Promise<Connection> | undefined;
  #tables = new Map<string, Promise<OpenTable>>();
  /** Store calls running now, and commits made on the current connection. */
  #inFlight = 0;
  #commits = 0;
  #replaced = 0;
  #closed = false;

  constructor(options: TableHandlesOptions) {
    this.#options = options;
  }

  /** Runs one store call, counted so that the connection is only replaced between calls. */
  async track<T>(call: () => Promise<T>): Promise<T> {
    this.#inFlight += 1;
    try {
      return await call();
    } finally {
      this.#release();
    }
  }

  /** `track` for a stream: the call lasts until the consumer stops reading. */
  async *trackStream<T>(stream: () => AsyncGenerator<T>): AsyncGenerator<T> {
    this.#inFlight += 1;
    try {
      yield* stream();
    } finally {
      this.#release();
    }
  }

  /** Counts a commit (a write, a ledger record) made through the current connection. */
  committed(): void {
    this.#commits += 1;
  }

  /** How many times the connection was replaced (for tests and diagnostics). */
  get connectionsReplaced(): number {
    return this.#replaced;
  }

  db(): Promise<Connection> {
    if (this.#closed) throw new Error(`LanceDbStore(${this.#options.uri}) is closed`);
    this.#connection ??= this.#connect();
    return this.#connection;
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
    const db = await this.db();
    let pending = this.#tables.get(name);
    if (pending === undefined) {
      pending = this.#openChecked(db, name);
      this.#tables.set(name, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (this.#tables.get(name) === pending) this.#tables.delete(name);
      if (isTableNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Keeps a table this process has just created, as if opened. */
  adopt(name: string, entry: OpenTable): void {
    this.#tables.set(name, Promise.resolve(entry));
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

  /** Closes the collection's handle, if open; the next call opens it again. */
  async forget(name: string): Promise<void> {
    const pending = this.#tables.get(name);
    this.#tables.delete(name);
    if (pending !== undefined) await closeQuietly(pending);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const name of [...this.#tables.keys()]) await this.forget(name);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) (await connection).close();
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
    const table = await db.openTable(name);
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

  #release(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0 && this.#commits >= this.#options.connectionCommits) this.#recycleWhenIdle();
  }

  /**
   * Replaces the connection (and the table handles opened through it) with a fresh one. Why: LanceDB
   * holds native memory per commit made through a connection until the connection is closed (measured:
   * ~0.3 MiB per append, so a worker grew by 300 MiB over 1,000 shards and would grow by GiBs over an
   * 8.8M-passage ingest; neither its caches nor closing tables released it). Only while no call runs, so
   * no call ever sees its handles closed: the swap is synchronous, and later calls open new handles.
   */
  #recycleWhenIdle(): void {
    const connection = this.#connection;
    const tables = [...this.#tables.values()];
    this.#connection = undefined;
    this.#tables = new Map();
    this.#commits = 0;
    this.#replaced += 1;
    void (async () => {
      for (const pending of tables) await closeQuietly(pending);
      if (connection !== undefined) (await connection).close();
    })().catch(() => undefined);
  }
}

async function closeQuietly(pending: Promise<OpenTable>): Promise<void> {
  try {
    (await pending).table.close();
  } catch {
    // Never opened, or already closed: nothing to release.
  }
}
