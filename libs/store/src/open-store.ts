import { LanceDbStore } from './lancedb/lancedb-store.ts';
import type { ShardLedger } from './shard-ledger.ts';
import type { VectorStore } from './vector-store.ts';

/** The store settings the apps read from the environment (see libs/config). */
export interface StoreSettings {
  readonly EMBEDLINE_STORE: 'lancedb' | 'qdrant';
  readonly EMBEDLINE_LANCEDB_DIR: string;
  readonly QDRANT_URL?: string;
  readonly QDRANT_API_KEY?: string;
}

/** The vector store the pipeline writes to: embedded LanceDB (the default) or a Qdrant server. */
export async function openStore(settings: StoreSettings): Promise<VectorStore & ShardLedger> {
  if (settings.EMBEDLINE_STORE === 'lancedb') return new LanceDbStore({ uri: settings.EMBEDLINE_LANCEDB_DIR });
  // QdrantStore has no shard ledger yet (issue 3): without it a re-run after a Redis loss could not
  // tell finished shards apart, so the pipeline refuses Qdrant for now rather than redo work.
  throw new TypeError('EMBEDLINE_STORE=qdrant: the pipeline needs a shard ledger, not yet implemented for Qdrant; use lancedb');
}
