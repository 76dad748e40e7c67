import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Encoder } from '@embedline/encoder';
import {
  IngestManifest,
  QUEUES,
  deadLetterJobId,
  finalizeJobSchema,
  shardQueueJobSchema,
  type DeadLetterData,
  type ShardJobData,
} from '@embedline/queue';
import type { ShardLedger, VectorStore } from '@embedline/store';
import { embedShard, type EmbedShardResult } from './embed-shard.ts';
import { ShardMismatchError } from './errors/shard-mismatch-error.ts';
import { finalizeIngest } from './finalize-ingest.ts';

export interface ShardWorkersOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly encoder: Encoder;
  readonly store: VectorStore & ShardLedger;
  /** Shards in flight per process: 2 lets the next shard encode while the previous one is written. */
  readonly concurrency: number;
  readonly exportDir?: string;
  /**
   * Job lock length. The lock is renewed at half this interval while a shard runs (the event loop is
   * free: inference is off-thread); a killed worker's shard goes back to the queue once it lapses.
   */
  readonly lockDurationMs?: number;
  readonly log: { info(message: string): void; warn(message: string): void; error(message: string): void };
}

export interface ShardWorkers {
  close(): Promise<void>;
}

/**
 * The BullMQ side of a worker process: consumes shard jobs (and seals) and finalize jobs, and moves
 * shards that failed their last attempt to the dead-letter queue. Inference runs in the encoder's
 * thread pool, so this event loop stays free to renew job locks: a busy worker is never "stalled".
 */
export function startShardWorkers(options: ShardWorkersOptions): ShardWorkers {
  const queueOptions = { connection: options.connection, prefix: options.prefix };
  const manifest = new IngestManifest(options.connection, options.prefix);
  const deadLetter = new Queue<DeadLetterData>(QUEUES.deadLetter, queueOptions);
  const collections = new Set<string>();
  const dimension = options.encoder.describe().dimension;

  const ensureCollection = async (name: string) => {
    if (collections.has(name)) return;
    await options.store.createCollection(name, { dimension });
    collections.add(name);
  };

  const shardWorker = new Worker(
    QUEUES.shards,
    async (job: Job): Promise<EmbedShardResult | { sealed: true }> => {
      const parsed = shardQueueJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: malformed shard job: ${parsed.error.message}`);
      if (parsed.data.kind === 'seal') return { sealed: true };
      await ensureCollection(parsed.data.collection);
      try {
        const result = await embedShard(parsed.data, {
          encoder: options.encoder,
          store: options.store,
          manifest,
          exportDir: options.exportDir,
        });
        options.log.info(`shard ${parsed.data.shardIndex} of ${parsed.data.collection}: stored ${result.stored} passages`);
        return result;
      } catch (error) {
        if (error instanceof ShardMismatchError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      ...queueOptions,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
    },
  );
  shardWorker.on('failed', (job, error) => {
    if (job) void moveToDeadLetterIfFinal(job, error, deadLetter, options.log);
  });
  shardWorker.on('error', (error) => options.log.error(`shard worker: ${error.message}`));

  const finalizeWorker = new Worker(
    QUEUES.finalize,
    async (job: Job) => {
      const data = finalizeJobSchema.parse(job.data);
      await ensureCollection(data.collection);
      const result = await finalizeIngest(data, { store: options.store, manifest });
      options.log.info(`collection ${data.collection} finalized: ${result.stored} points stored`);
      return result;
    },
    { ...queueOptions, concurrency: 1 },
  );
  finalizeWorker.on('failed', (job, error) => options.log.error(`finalize ${job?.id}: ${error.message}`));
  finalizeWorker.on('error', (error) => options.log.error(`finalize worker: ${error.message}`));

  return {
    // Worker.close() waits for the jobs in hand to finish, so SIGTERM never abandons a half-written shard.
    close: async () => {
      await Promise.all([shardWorker.close(), finalizeWorker.close()]);
      await deadLetter.close();
    },
  };
}

async function moveToDeadLetterIfFinal(
  job: Job,
  error: Error,
  deadLetter: Queue<DeadLetterData>,
  log: ShardWorkersOptions['log'],
): Promise<void> {
  try {
    if ((await job.getState()) !== 'failed') {
      log.warn(`shard job ${job.id} failed (attempt ${job.attemptsMade}), will retry: ${error.message}`);
      return;
    }
    const data = job.data as ShardJobData;
    await deadLetter.add(
      'dead-shard',
      {
        jobId: job.id ?? '',
        collection: data.collection,
        shardIndex: data.shardIndex,
        attempts: job.attemptsMade,
        error: error.message,
        failedAt: new Date().toISOString(),
      },
      { jobId: deadLetterJobId(job.id ?? ''), removeOnComplete: true },
    );
    log.error(`shard job ${job.id} failed for good after ${job.attemptsMade} attempts: ${error.message}`);
  } catch (recordError) {
    log.error(`could not record failed shard ${job.id}: ${(recordError as Error).message}`);
  }
}
