import { stat } from 'node:fs/promises';
import { FlowProducer, Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RejectedRecord } from '@embedline/corpus';
import {
  IngestManifest,
  QUEUES,
  finalizeJobId,
  qualifiedQueueName,
  sealJobId,
  shardJobId,
  shardKey,
  type FinalizeJobData,
  type ShardJobData,
} from '@embedline/queue';
import type { ShardLedger } from '@embedline/store';
import { fingerprintCorpus } from './corpus-fingerprint.ts';
import { planShards, type PlannedShard } from './plan-shards.ts';

/** How shard jobs are retried before they land in the dead-letter queue. */
export const SHARD_ATTEMPTS = 5;
const SHARD_BACKOFF = { type: 'exponential', delay: 2000 } as const;
/** The seal waits "forever" (ten years) until the producer releases it. */
const SEAL_DELAY_MS = 10 * 365 * 24 * 3600 * 1000;

export interface IngestOptions {
  readonly corpus: string;
  readonly collection: string;
  readonly format?: string;
  readonly shardSize: number;
  readonly inline: boolean;
  /** Stop adding while this many shard jobs are waiting (bounds Redis memory). */
  readonly highWaterMark: number;
  /** Jobs per addBulk call. */
  readonly addChunk: number;
  readonly connection: Redis;
  readonly prefix: string;
  /** The store's durable record of finished shards (survives a Redis loss). */
  readonly ledger: ShardLedger;
  /** Awaited, so a slow rejects file holds the read back instead of buffering. */
  readonly onReject?: (rejected: RejectedRecord) => void | Promise<void>;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** How often to re-check the queue depth while held back by the high-water mark. */
  readonly backpressurePollMs?: number;
}

export interface IngestProgress {
  readonly acceptedRecords: number;
  readonly rejectedRecords: number;
  readonly shards: number;
  readonly enqueuedShards: number;
  readonly skippedShards: number;
  /** Bytes of the corpus read so far, and its size. */
  readonly position: number;
  readonly size: number;
  readonly waitingForBackpressure: boolean;
}

export interface IngestSummary extends IngestProgress {
  readonly fingerprint: string;
  readonly alreadyFinalized: boolean;
}

/**
 * `ingest`: cuts a corpus into shards and enqueues one job per shard not already done, under a
 * flow parent that finalizes the collection once every shard job and the seal have completed.
 *
 * Guarantees: job ids are deterministic (collection + corpus fingerprint + shard index), so a
 * re-run never duplicates a job BullMQ still holds; shards recorded in the store's ledger are
 * skipped, so a re-run after Redis lost everything enqueues only what is missing; Redis memory is
 * bounded by the high-water mark; finalize cannot start before every shard is enqueued (the seal).
 */
export async function ingestCorpus(options: IngestOptions): Promise<IngestSummary> {
  const fingerprint = await fingerprintCorpus(options.corpus);
  const { size } = await stat(options.corpus);
  const manifest = new IngestManifest(options.connection, options.prefix);
  const queueOptions = { connection: options.connection, prefix: options.prefix };
  const shards = new Queue<ShardJobData>(QUEUES.shards, queueOptions);
  const flows = new FlowProducer(queueOptions);
  const finalizeQueue = new Queue<FinalizeJobData>(QUEUES.finalize, queueOptions);
  try {
    const parentId = finalizeJobId(options.collection, fingerprint);
    const existing = await finalizeQueue.getJob(parentId);
    if (existing && (await existing.getState()) === 'completed') {
      return { ...emptyProgress(size), fingerprint, alreadyFinalized: true };
    }
    if (existing && (await existing.getState()) === 'failed') await existing.remove({ removeChildren: false });
    await manifest.begin(options.collection, fingerprint, options.corpus);
    const sealId = sealJobId(options.collection, fingerprint);
    await ensureFlowParent(flows, options, fingerprint, parentId, sealId);

    const done = await alreadyDone(options, manifest);
    const progress = { ...emptyProgress(size) };
    const report = () => options.onProgress?.({ ...progress });
    const parent = { id: parentId, queue: qualifiedQueueName(options.prefix, QUEUES.finalize) };
    let pending: PlannedShard[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      await waitBelowHighWaterMark(shards, options, () => {
        progress.waitingForBackpressure = true;
        report();
      });
      progress.waitingForBackpressure = false;
      await shards.addBulk(pending.map((shard) => shardJob(options, fingerprint, shard, parent)));
      progress.enqueuedShards += pending.length;
      pending = [];
      report();
    };

    const plan = planShards(options.corpus, {
      shardSize: options.shardSize,
      inline: options.inline,
      format: options.format,
      onReject: async (rejected) => {
        progress.rejectedRecords += 1;
        await options.onReject?.(rejected);
      },
    });
    for await (const shard of plan) {
      progress.shards += 1;
      progress.acceptedRecords += shard.records;
      progress.position = shard.position;
      if (done.has(shardKey(fingerprint, shard.index))) progress.skippedShards += 1;
      else pending.push(shard);
      if (pending.length >= options.addChunk) await flush();
      else if (progress.shards % 50 === 0) report();
    }
    await flush();
    progress.position = size;

    await manifest.setTotals(options.collection, {
      acceptedRecords: progress.acceptedRecords,
      rejectedRecords: progress.rejectedRecords,
      totalShards: progress.shards,
      sealed: true,
    });
    await releaseSeal(shards, finalizeQueue, parentId, sealId, {
      collection: options.collection,
      fingerprint,
      acceptedRecords: progress.acceptedRecords,
      totalShards: progress.shards,
    });
    report();
    return { ...progress, fingerprint, alreadyFinalized: false };
  } finally {
    await Promise.all([shards.close(), flows.close(), finalizeQueue.close()]);
  }
}

function emptyProgress(size: number) {
  return {
    acceptedRecords: 0,
    rejectedRecords: 0,
    shards: 0,
    enqueuedShards: 0,
    skippedShards: 0,
    position: 0,
    size,
    waitingForBackpressure: false,
  };
}

/** Shards finished earlier: from the store's ledger (durable) and Redis's manifest (fast, may be gone). */
async function alreadyDone(options: IngestOptions, manifest: IngestManifest): Promise<Set<string>> {
  const [ledger, counted] = await Promise.all([
    options.ledger.completedShards(options.collection),
    manifest.doneShardKeys(options.collection),
  ]);
  return new Set([...ledger.keys(), ...counted]);
}

/** Creates the finalize parent with its seal child, unless this ingest's parent already waits. */
async function ensureFlowParent(
  flows: FlowProducer,
  options: IngestOptions,
  fingerprint: string,
  parentId: string,
  sealId: string,
): Promise<void> {
  const data: FinalizeJobData = { collection: options.collection, fingerprint, acceptedRecords: 0, totalShards: 0 };
  // With an existing parent id BullMQ keeps the existing job; the add is then a no-op.
  await flows.add({
    name: 'finalize',
    queueName: QUEUES.finalize,
    data,
    opts: { jobId: parentId, removeOnFail: false },
    children: [
      {
        name: 'seal',
        queueName: QUEUES.shards,
        data: { kind: 'seal', collection: options.collection },
        opts: { jobId: sealId, delay: SEAL_DELAY_MS },
      },
    ],
  });
}

function shardJob(options: IngestOptions, fingerprint: string, shard: PlannedShard, parent: { id: string; queue: string }) {
  const data: ShardJobData = {
    kind: 'shard',
    collection: options.collection,
    fingerprint,
    shardIndex: shard.index,
    records: shard.records,
    source: shard.source,
  };
  return {
    name: 'shard',
    data,
    opts: {
      jobId: shardJobId(options.collection, fingerprint, shard.index),
      parent,
      attempts: SHARD_ATTEMPTS,
      backoff: SHARD_BACKOFF,
      removeOnComplete: true,
      removeOnFail: false,
    },
  };
}

async function waitBelowHighWaterMark(queue: Queue, options: IngestOptions, onWait: () => void): Promise<void> {
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'prioritized');
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0);
    if (waiting + options.addChunk <= options.highWaterMark || waiting === 0) return;
    onWait();
    await new Promise((resolve) => setTimeout(resolve, options.backpressurePollMs ?? 500));
  }
}

/** Writes the final totals into the parent, then lets the seal run: finalize may start after it. */
async function releaseSeal(
  shards: Queue,
  finalizeQueue: Queue<FinalizeJobData>,
  parentId: string,
  sealId: string,
  data: FinalizeJobData,
): Promise<void> {
  const parent = await finalizeQueue.getJob(parentId);
  await parent?.updateData(data);
  const seal: Job | undefined = await shards.getJob(sealId);
  if (seal && (await seal.getState()) === 'delayed') await seal.promote();
}
