// The shard ledger (see ../shard-ledger.ts) of a Qdrant collection: a payload-only side collection,
// `<name>__shards`, created on the first recordShard and read back page by page with the scroll API.
import type { Schemas } from '@qdrant/js-client-rest';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { ledgerName } from '../shard-ledger.ts';
import { stableUuid } from '../point-id.ts';
import { lostCreateRace } from './collection-creation.ts';
import type { QdrantConnection } from './qdrant-connection.ts';
import { QdrantRequestError } from './qdrant-errors.ts';
import { RetryableCondition } from './retry.ts';
import type { WriteOrdering } from './store-options.ts';

/** Ledger points per scroll request: a whole MS MARCO ingest (8.8M passages, 1k-passage shards) is 9 pages. */
const LEDGER_PAGE_SIZE = 1000;

/**
 * The ledger holds no vectors (`vectors: {}`, a payload-only collection): one point per shard, keyed by
 * the UUIDv5 of the shard key, so recording a shard again (a retried or duplicated job) overwrites its
 * point. Payload: `{ shard, records, finishedAt }`. It is deleted with its collection (deleteCollection).
 */
export class QdrantShardLedger {
  readonly #connection: QdrantConnection;
  readonly #ordering: WriteOrdering;
  /** Collections whose ledger this store has seen or created (or is creating), so record looks once. */
  readonly #ledgers = new Map<string, Promise<void>>();

  constructor(connection: QdrantConnection, ordering: WriteOrdering) {
    this.#connection = connection;
    this.#ordering = ordering;
  }

  async record(name: string, shardKey: string, records: number): Promise<void> {
    if (shardKey.length === 0) throw new RangeError(`recordShard of "${name}": the shard key is empty`);
    if (!Number.isSafeInteger(records) || records < 0)
      throw new RangeError(
        `recordShard of "${name}": records must be a non-negative integer, got ${records}`,
      );
    const point: Schemas['PointStruct'] = {
      id: stableUuid(shardKey),
      vector: {},
      payload: { shard: shardKey, records, finishedAt: new Date().toISOString() },
    };
    await this.#ensureLedger(name);
    try {
      await this.#write(name, shardKey, point);
    } catch (error) {
      if (!(error instanceof CollectionNotFoundError)) throw error;
      // The ledger was deleted since we saw it (another process deleted the collection): recreating it
      // requires the collection itself, so this fails clearly if that is gone too.
      this.forget(name);
      await this.#ensureLedger(name);
      await this.#write(name, shardKey, point);
    }
  }

  /** Every shard recorded for the collection; empty when it has no ledger. */
  async completed(name: string): Promise<Map<string, number>> {
    const shards = new Map<string, number>();
    let offset: Schemas['ExtendedPointId'] | null | undefined = undefined;
    do {
      let page: Schemas['ScrollResult'];
      try {
        page = await this.#readPage(name, offset);
      } catch (error) {
        if (error instanceof CollectionNotFoundError) return new Map();
        throw error;
      }
      for (const point of page.points) {
        const { shard, records } = ledgerEntry(name, point);
        shards.set(shard, records);
      }
      offset = page.next_page_offset as Schemas['ExtendedPointId'] | null | undefined;
    } while (offset !== undefined && offset !== null);
    return shards;
  }

  /** Drops what this store remembers of the ledger, e.g. because the collection is being deleted. */
  forget(name: string): void {
    this.#ledgers.delete(name);
  }

  #write(name: string, shardKey: string, point: Schemas['PointStruct']): Promise<void> {
    return this.#connection.call(
      `record shard "${shardKey}" of "${name}"`,
      ledgerName(name),
      async (c, q) => {
        // wait: true. The ledger must never claim a shard whose points are not durable: the caller records a
        // shard only after every upsert of its points resolved, and those use wait=true too (applied, in the
        // WAL). Waiting here as well means that once recordShard resolves the claim itself is applied, so the
        // worker acknowledges its job only when a later `ingest` (even after Redis lost everything) will see
        // the shard as done; and a write Qdrant fails to apply surfaces here as an error instead of an
        // "acknowledged" that silently records nothing.
        const result = await c.upsert(q, { wait: true, ordering: this.#ordering, points: [point] });
        if (result.status !== 'completed')
          throw new RetryableCondition(`ledger write answered "${result.status}", not "completed"`);
      },
    );
  }

  #readPage(
    name: string,
    offset: Schemas['ExtendedPointId'] | null | undefined,
  ): Promise<Schemas['ScrollResult']> {
    return this.#connection.call(`read the shard ledger of "${name}"`, ledgerName(name), (c, q) =>
      c.scroll(q, {
        limit: LEDGER_PAGE_SIZE,
        with_payload: ['shard', 'records'],
        with_vector: false,
        ...(offset == null ? {} : { offset }),
      }),
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
    if ((await this.#connection.details(ledger)) !== undefined) return;
    const collection = await this.#connection.requireDetails(name, `record a shard of "${name}"`);
    const replication = collection.config.params.replication_factor;
    try {
      await this.#connection.call(
        `create the shard ledger of "${name}"`,
        ledger,
        (c, q) =>
          c.createCollection(q, {
            vectors: {},
            shard_number: 1,
            ...(replication === undefined ? {} : { replication_factor: replication }),
            timeout: this.#connection.adminTimeoutS,
          }),
        true,
      );
    } catch (error) {
      if (!lostCreateRace(error)) throw error;
    }
  }
}

/** A ledger point's payload, checked: a point that is not an entry means the ledger was tampered with. */
function ledgerEntry(name: string, point: Schemas['Record']): { shard: string; records: number } {
  const { shard, records } = point.payload ?? {};
  if (typeof shard !== 'string' || typeof records !== 'number')
    throw new QdrantRequestError(
      `read the shard ledger of "${name}"`,
      undefined,
      `point ${String(point.id)} of "${ledgerName(name)}" is not a ledger entry (payload ${JSON.stringify(point.payload)})`,
    );
  return { shard, records };
}
