import { LanceDbStore } from './lancedb/lancedb-store.ts';
import { QdrantStore } from './qdrant/qdrant-store.ts';
import type { ShardLedger } from './shard-ledger.ts';
import type { VectorStore } from './vector-store.ts';

/** The store settings the apps read from the environment (see libs/config). */
export interface StoreSettings {
  readonly EMBEDLINE_STORE: 'lancedb' | 'qdrant';
  readonly EMBEDLINE_LANCEDB_DIR: string;
  readonly EMBEDLINE_LANCEDB_METADATA_CACHE_MIB?: number;
  readonly EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS?: number;
  readonly EMBEDLINE_LANCEDB_COMPACT_EVERY_ROWS?: number;
  readonly QDRANT_URL?: string | undefined;
  readonly QDRANT_API_KEY?: string | undefined;
  readonly EMBEDLINE_QDRANT_BATCH_SIZE?: number;
  readonly EMBEDLINE_QDRANT_CONCURRENCY?: number;
  readonly EMBEDLINE_QDRANT_TIMEOUT_MS?: number;
}

export interface OpenStoreOptions {
  /**
   * For requests a person waits on (the query API): a Qdrant that is down or overloaded fails a request after
   * one quick retry, instead of the workers' budget of 6 attempts over ~8 s (and up to a minute a step when
   * Qdrant sends Retry-After), which suits a bulk load riding out a restart.
   */
  readonly failFast?: boolean;
}

/** The API's budget (see OpenStoreOptions.failFast): two attempts, 100 ms apart, a Retry-After of at most 1 s. */
const FAIL_FAST_RETRY = { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 500, maxRetryAfterMs: 1000 };

/**
 * The vector store the pipeline writes to: embedded LanceDB (the default) or a Qdrant server at
 * QDRANT_URL (with QDRANT_API_KEY when the server requires one). Both keep the shard ledger.
 */
export async function openStore(
  settings: StoreSettings,
  options: OpenStoreOptions = {},
): Promise<VectorStore & ShardLedger> {
  if (settings.EMBEDLINE_STORE === 'lancedb') {
    const cacheMiB = settings.EMBEDLINE_LANCEDB_METADATA_CACHE_MIB;
    const compactEvery = settings.EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS;
    const compactEveryRows = settings.EMBEDLINE_LANCEDB_COMPACT_EVERY_ROWS;
    return new LanceDbStore({
      uri: settings.EMBEDLINE_LANCEDB_DIR,
      ...(cacheMiB === undefined ? {} : { metadataCacheBytes: cacheMiB * 2 ** 20 }),
      ...(compactEvery === undefined ? {} : { compactEveryVersions: compactEvery }),
      ...(compactEveryRows === undefined ? {} : { compactEveryRows }),
    });
  }
  const url = settings.QDRANT_URL?.trim();
  if (url === undefined || url === '')
    throw new TypeError(
      'EMBEDLINE_STORE=qdrant needs QDRANT_URL, the Qdrant REST endpoint (e.g. http://qdrant:6333); it is not set',
    );
  const apiKey = settings.QDRANT_API_KEY;
  const { EMBEDLINE_QDRANT_BATCH_SIZE: batchSize, EMBEDLINE_QDRANT_CONCURRENCY: concurrency } = settings;
  const timeoutMs = settings.EMBEDLINE_QDRANT_TIMEOUT_MS;
  return new QdrantStore({
    url,
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(options.failFast ? { retry: FAIL_FAST_RETRY } : {}),
  });
}
