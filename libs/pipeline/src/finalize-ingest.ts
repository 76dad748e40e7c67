import type { FinalizeJobData, IngestManifest } from '@embedline/queue';
import type { VectorStore } from '@embedline/store';
import { StoredCountMismatchError } from './errors/stored-count-mismatch-error.ts';

/**
 * The flow parent's work, run once every shard is done: the store's end-of-bulk-load step (restore
 * index settings, compact, build the ANN index), then the proof that every accepted record is stored
 * exactly once: the store's count must equal the producer's accepted count (ids are unique, so
 * equal counts mean no record is missing and none is doubled).
 */
export async function finalizeIngest(
  job: FinalizeJobData,
  deps: { store: VectorStore; manifest?: IngestManifest },
): Promise<{ stored: number }> {
  await deps.store.finalize(job.collection);
  const stored = await deps.store.count(job.collection);
  if (stored !== job.acceptedRecords) throw new StoredCountMismatchError(job.collection, stored, job.acceptedRecords);
  await deps.manifest?.markFinalized(job.collection, stored);
  return { stored };
}
