import { isShardOf, type FinalizeJobData, type IngestManifest } from '@embedline/queue';
import type { ShardLedger, VectorStore } from '@embedline/store';
import { StoredCountMismatchError } from './errors/stored-count-mismatch-error.ts';

/**
 * The flow parent's work, run once every shard is done: the store's end-of-bulk-load step (restore
 * index settings, compact, build the ANN index), then the proof that every accepted record is stored
 * exactly once: the store's count must equal the producer's accepted count (ids are unique, so
 * equal counts mean no record is missing and none is doubled).
 *
 * A collection that earlier ingests (another corpus, or an earlier version of this one) wrote to also
 * holds their points, which this ingest's passages may overwrite (same ids) or not: its store's ledger
 * then holds shards of other corpora, and the count must lie between this ingest's accepted records
 * and those plus every point the earlier ingests stored.
 */
export async function finalizeIngest(
  job: FinalizeJobData,
  deps: { store: VectorStore & ShardLedger; manifest?: IngestManifest },
): Promise<{ stored: number }> {
  await deps.store.finalize(job.collection);
  const stored = await deps.store.count(job.collection);
  const earlier = await storedByEarlierIngests(job, deps.store);
  const fits = earlier === 0 ? stored === job.acceptedRecords : stored >= job.acceptedRecords && stored <= job.acceptedRecords + earlier;
  if (!fits) throw new StoredCountMismatchError(job.collection, stored, job.acceptedRecords, earlier);
  await deps.manifest?.markFinalized(job.collection, stored);
  return { stored };
}

/** Points stored in the collection by shards of other corpora than this ingest's (its ledger's other entries). */
async function storedByEarlierIngests(job: FinalizeJobData, ledger: ShardLedger): Promise<number> {
  let earlier = 0;
  for (const [key, records] of await ledger.completedShards(job.collection)) {
    if (!isShardOf(key, job.fingerprint)) earlier += records;
  }
  return earlier;
}
