import type { CreateCollectionOptions, SearchOptions, ShardLedger, VectorStore } from '@embedline/store';

type RecordBatch = Parameters<VectorStore['upsert']>[1];
type UpsertOptions = Parameters<VectorStore['upsert']>[2];

/** What the outage hits: an upsert, numbered from 1 across the store's life, with the batch's ids. */
export type OutageRule = (upsert: { readonly number: number; readonly ids: readonly string[] }) => boolean;

/**
 * A real store (LanceDB in the tests) behind a switch: while the outage rule says so, upserts fail
 * the way a store that is down fails, with a transient error and nothing written. Everything else
 * passes through. `heal()` ends the outage. Counts what it let through and what it refused.
 */
export class FlakyStore implements VectorStore, ShardLedger {
  upserts = 0;
  refused = 0;
  private healed = false;

  constructor(
    private readonly inner: VectorStore & ShardLedger,
    private readonly outage: OutageRule,
  ) {}

  get location(): string {
    return this.inner.location;
  }

  heal(): void {
    this.healed = true;
  }

  async upsert(name: string, batch: RecordBatch, options?: UpsertOptions): Promise<void> {
    this.upserts += 1;
    const ids = batch.getChild('id')?.toArray() as string[];
    if (!this.healed && this.outage({ number: this.upserts, ids })) {
      this.refused += 1;
      throw new Error(`store unavailable (simulated outage, upsert ${this.upserts})`);
    }
    await this.inner.upsert(name, batch, options);
  }

  createCollection(name: string, options: CreateCollectionOptions) {
    return this.inner.createCollection(name, options);
  }
  count(name: string) {
    return this.inner.count(name);
  }
  search(name: string, query: Float32Array, options: SearchOptions) {
    return this.inner.search(name, query, options);
  }
  finalize(name: string) {
    return this.inner.finalize(name);
  }
  describe(name: string) {
    return this.inner.describe(name);
  }
  scan(name: string) {
    return this.inner.scan(name);
  }
  listCollections() {
    return this.inner.listCollections();
  }
  deleteCollection(name: string) {
    return this.inner.deleteCollection(name);
  }
  recordShard(collection: string, shardKey: string, records: number) {
    return this.inner.recordShard(collection, shardKey, records);
  }
  completedShards(collection: string) {
    return this.inner.completedShards(collection);
  }
  close() {
    return this.inner.close();
  }
}
