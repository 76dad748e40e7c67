// Compactions during an ingest, as jobs: an embedding worker hands the one its write made due to the
// finalize queue, and the worker with no model runs it there.
import type { Job, Queue } from 'bullmq';
import {
  FINALIZE_QUEUE_JOBS,
  compactJobId,
  compactJobSchema,
  type CompactJobData,
  type ShardJobData,
} from '@embedline/queue';
import type { CompactionOutcome, VectorStore } from '@embedline/store';
import type { WorkerMetrics } from './worker-metrics.ts';

/**
 * Adds the compaction as a child of the shard's own parent (the ingest's finalize job), so that finalize
 * starts only after it, and returns once it is queued: the shard completes without waiting for the pass,
 * and the embedding worker never holds the memory a compaction takes (tens of MiB per million rows,
 * which glibc keeps: a GPU worker grew from ~300 to ~800-980 MiB over an 8.8M-passage ingest doing them
 * itself). A compaction that fails for good does not hold finalize back (`ignoreDependencyOnFailure`):
 * finalize compacts anyway. A shard with no parent (run outside an ingest's flow) compacts here.
 */
export async function handOverCompaction(
  queue: Queue,
  shardJob: Pick<Job, 'parent'>,
  shard: ShardJobData,
  version: number,
  store: Pick<VectorStore, 'compact'>,
): Promise<void> {
  const parent = shardJob.parent;
  if (parent?.id === undefined) {
    await store.compact?.(shard.collection);
    return;
  }
  const data: CompactJobData = { collection: shard.collection, fingerprint: shard.fingerprint, version };
  await queue.add(FINALIZE_QUEUE_JOBS.compact, data, {
    jobId: compactJobId(shard.collection, shard.fingerprint, version),
    parent: { id: parent.id, queue: parent.queueKey },
    ignoreDependencyOnFailure: true,
    removeOnComplete: true,
    removeOnFail: 100,
  });
}

/** Runs a compaction job from the finalize queue; an unreadable job is an error naming it. */
export async function runCompactionJob(
  job: Pick<Job, 'id' | 'data'>,
  store: Pick<VectorStore, 'compact'>,
  metrics?: WorkerMetrics,
): Promise<{ collection: string; version: number; outcome: CompactionOutcome | 'not-needed' }> {
  const parsed = compactJobSchema.safeParse(job.data);
  if (!parsed.success) throw new Error(`job ${job.id}: malformed compaction job: ${parsed.error.message}`);
  const { collection, version } = parsed.data;
  const outcome = (await store.compact?.(collection)) ?? 'not-needed';
  metrics?.compactions.inc({ collection, outcome: outcome.replace('-', '_') });
  return { collection, version, outcome };
}
