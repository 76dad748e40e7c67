// createCollection(): create the Qdrant collection with the bulk-load settings and the keyword index on
// the corpus id, or adopt an existing one (an earlier run, or a process that won the create race).
import type { Schemas } from '@qdrant/js-client-rest';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import type { CreateCollectionOptions } from '../vector-store.ts';
import { vectorSize } from './collection-dimension.ts';
import { FINALIZED_METADATA_KEY } from './finalized-flag.ts';
import { positiveInteger } from './integer-checks.ts';
import { CORPUS_ID_KEY } from './payload-codec.ts';
import type { CollectionDetails, QdrantConnection } from './qdrant-connection.ts';
import { QdrantRequestError } from './qdrant-errors.ts';
import type { ServerFeatures } from './server-features.ts';
import type { BulkLoadMode, WriteOrdering } from './store-options.ts';

type CreateBody = Schemas['CreateCollection'] & { timeout?: number };

export class CollectionCreator {
  readonly #connection: QdrantConnection;
  readonly #bulkLoad: BulkLoadMode;
  readonly #ordering: WriteOrdering;

  constructor(connection: QdrantConnection, bulkLoad: BulkLoadMode, ordering: WriteOrdering) {
    this.#connection = connection;
    this.#bulkLoad = bulkLoad;
    this.#ordering = ordering;
  }

  async create(name: string, options: CreateCollectionOptions): Promise<void> {
    const dimension = positiveInteger('dimension', options.dimension);
    const existing = await this.#connection.details(name);
    if (existing !== undefined) return this.#adoptExisting(name, existing, dimension, options);
    const body = this.#createBody(dimension, options, await this.#connection.serverFeatures());
    try {
      await this.#connection.call(
        `create collection "${name}"`,
        name,
        (c, q) => c.createCollection(q, body),
        true,
      );
    } catch (error) {
      if (!lostCreateRace(error)) throw error;
      const details = await this.#connection.requireDetails(name, `create collection "${name}"`);
      return this.#adoptExisting(name, details, dimension, options);
    }
    await this.#ensureIdIndex(name);
  }

  /** One unnamed `Dot` vector, the bulk-load settings (undone by finalize), and "not finalized" metadata. */
  #createBody(dimension: number, options: CreateCollectionOptions, features: ServerFeatures): CreateBody {
    return {
      vectors: { size: dimension, distance: 'Dot', ...(options.onDisk === true ? { on_disk: true } : {}) },
      ...(options.shards === undefined ? {} : { shard_number: positiveInteger('shards', options.shards) }),
      ...(options.replication === undefined
        ? {}
        : { replication_factor: positiveInteger('replication', options.replication) }),
      ...(this.#bulkLoad === 'defer-hnsw' ? { hnsw_config: { m: 0 } } : {}),
      ...(this.#bulkLoad === 'disable-indexing' ? { optimizers_config: { indexing_threshold: 0 } } : {}),
      ...(features.metadata ? { metadata: { [FINALIZED_METADATA_KEY]: false } } : {}),
      timeout: this.#connection.adminTimeoutS,
    };
  }

  async #adoptExisting(
    name: string,
    details: CollectionDetails,
    dimension: number,
    options: CreateCollectionOptions,
  ): Promise<void> {
    const existing = vectorSize(details, name);
    if (existing !== dimension) {
      throw new DimensionMismatchError(name, existing, dimension, 'createCollection asked for dimension');
    }
    refuseOtherLayout(name, details, options);
    // A creator that died between creating the collection and indexing `id` left the index to us.
    if (details.payload_schema[CORPUS_ID_KEY] === undefined) await this.#ensureIdIndex(name);
  }

  #ensureIdIndex(name: string): Promise<unknown> {
    return this.#connection.call(
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
}

/**
 * An existing collection is adopted as it is; a layout the caller asked for explicitly and does not get
 * (RAM sized for on-disk vectors, 1 shard where 6 were meant to spread the load) is refused rather than
 * ignored. Options left out adopt any layout (the workers' case: docs/operations.md, bulk load step 2).
 */
function refuseOtherLayout(name: string, details: CollectionDetails, options: CreateCollectionOptions): void {
  const params = details.config.params;
  const onDisk = (params.vectors as { on_disk?: boolean | null } | undefined)?.on_disk === true;
  const differing = [
    differs('shard_number', params.shard_number ?? 1, options.shards),
    differs('replication_factor', params.replication_factor ?? 1, options.replication),
    differs('vectors.on_disk', onDisk, options.onDisk),
  ].filter((item) => item !== undefined);
  if (differing.length === 0) return;
  throw new QdrantRequestError(
    `create collection "${name}"`,
    undefined,
    `it exists with ${differing.join(', ')}: an existing collection is adopted as it is; delete it to have` +
      ' it created as asked, change replication_factor or on_disk with PATCH /collections/{name}' +
      ' (shard_number is fixed at creation), or leave these options out to adopt it',
  );
}

function differs<T>(setting: string, actual: T, asked: T | undefined): string | undefined {
  return asked === undefined || asked === actual ? undefined : `${setting} ${actual} (asked: ${asked})`;
}

/** Another process created the collection between our look and our create: 409 (400 on older servers). */
export function lostCreateRace(error: unknown): boolean {
  return (
    error instanceof QdrantRequestError &&
    (error.status === 409 || (error.status === 400 && /already exists/i.test(error.message)))
  );
}
