import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Encoder } from '@embedline/encoder';
import {
  IngestManifest,
  QUEUES,
  deadLetterJobId,
  isRedisConnectionError,
  logRedisOutages,
  queueOptions,
  type DeadLetterData,
  type FinalizeJobData,
  type RedisClient,
  type ShardJobData,
} from '@embedline/queue';
import type { ShardLedger, VectorStore } from '@embedline/store';
import { embedShard, type EmbedShardResult } from './embed-shard.ts';
import { parseFinalizeJob, parseShardJob } from './parse-job.ts';
import { conciseError } from './error-text.ts';
import { RemoteCorpusError } from './errors/remote-corpus-error.ts';
import { ShardMismatchError } from './errors/shard-mismatch-error.ts';
import { finalizeIngest } from './finalize-ingest.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

/** The queues a worker process consumes: shards (embedding, needs the encoder), finalize (needs no model). */
export type WorkerQueue = 'shards' | 'finalize';
export const WORKER_QUEUES: readonly WorkerQueue[] = ['shards', 'finalize'];

export interface ShardWorkersOptions {
  readonly connection: RedisClient;
  readonly prefix: string;
  /**
   * Default both. A fleet can split them: GPU workers on `shards` (scaled on the queue, to zero), one CPU worker
   * on `finalize` (no model loaded; finalize's compaction and index build need memory, not a GPU, and can outlast
   * the GPU workers' scale-down).
   */
  readonly queues?: readonly WorkerQueue[];
  /** Required with the `shards` queue. */
  readonly encoder?: Encoder;
  readonly store: VectorStore & ShardLedger;
  /** Shards in flight per process: 2 lets the next shard encode while the previous one is written. */
  readonly concurrency: number;
  /** Also write each shard as Arrow IPC and Parquet files under this folder (see export-shard.ts). */
  readonly exportDir?: string;
  /** Fetch for shards whose corpus is an http(s) URL (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /** Passages per encode call, default the whole shard (see EmbedShardDeps). */
  readonly batchPassages?: number;
  /**
   * Job lock length, of shard and finalize jobs. The lock is renewed at half this interval while a job runs
   * (the event loop is free: inference is off-thread); a killed worker's job goes back to the queue once it lapses.
   */
  readonly lockDurationMs?: number;
  /** Counts shards, passages, tokens and finalize runs (served on the worker's /metrics). */
  readonly metrics?: WorkerMetrics;
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
  const queues = new Set(options.queues ?? WORKER_QUEUES);
  if (queues.size === 0) throw new Error('a worker must consume at least one queue (shards, finalize)');
  if (queues.has('shards') && options.encoder === undefined)
    throw new Error('the shards queue needs an encoder');
  const bullmqOptions = queueOptions(options.connection, options.prefix);
  const manifest = new IngestManifest(options.connection, options.prefix);
  const deadLetter = new Queue<DeadLetterData>(QUEUES.deadLetter, bullmqOptions);
  const stopOutageLog = logOutages(options);
  // Without a listener BullMQ prints each Redis error of the queue as a raw stack trace (one per reconnect).
  deadLetter.on('error', logQueueError(options.log, 'warn', 'dead-letter queue'));
  const collections = new Set<string>();
  const dimension = options.encoder?.describe().dimension;

  const ensureCollection = async (name: string): Promise<boolean> => {
    if (collections.has(name)) return true;
    if (dimension === undefined) return false;
    await options.store.createCollection(name, { dimension });
    collections.add(name);
    return true;
  };

  const shared: Shared = { bullmqOptions, manifest, ensureCollection };
  const workers: Worker[] = [];
  if (queues.has('shards')) workers.push(startEmbedding(options, shared, options.encoder!, deadLetter));
  if (queues.has('finalize')) workers.push(startFinalizing(options, shared));
  return {
    // Worker.close() waits for the jobs in hand to finish, so SIGTERM never abandons a half-written shard.
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
      await deadLetter.close();
      stopOutageLog();
    },
  };
}

/**
 * A Redis outage as a few lines, not one per reconnect attempt of each of the process's connections (a
 * worker logged ~7 error lines a second while Redis was down): the first failure (warn), a reminder every
 * minute while it lasts, and one line once the shared connection is ready again.
 */
function logOutages({ connection, log }: ShardWorkersOptions): () => void {
  return logRedisOutages(connection, {
    warn: ({ err }, message) => log.warn(`${message}: ${err instanceof Error ? err.message : String(err)}`),
    info: ({ failedAttempts, outageMs }, message) =>
      log.info(`${message} after ${(outageMs / 1000).toFixed(1)} s (${failedAttempts} failed attempts)`),
  });
}

/** A BullMQ queue's or worker's `error` listener: connection failures are left to logOutages. */
function logQueueError(log: ShardWorkersOptions['log'], level: 'warn' | 'error', source: string) {
  return (error: Error) => {
    if (!isRedisConnectionError(error)) log[level](`${source}: ${error.message}`);
  };
}

/** What the queue consumers of one process share. */
interface Shared {
  readonly bullmqOptions: ReturnType<typeof queueOptions>;
  readonly manifest: IngestManifest;
  /** Creates the collection on first use; false when this process cannot (no encoder, so no dimension). */
  readonly ensureCollection: (name: string) => Promise<boolean>;
}

function startEmbedding(
  options: ShardWorkersOptions,
  { bullmqOptions, manifest, ensureCollection }: Shared,
  encoder: Encoder,
  deadLetter: Queue<DeadLetterData>,
): Worker {
  const shardWorker = new Worker(
    QUEUES.shards,
    async (job: Job): Promise<ShardOutcome | { sealed: true }> => {
      const data = parseShardJob(job.id, job.data);
      if (data.kind === 'seal') return { sealed: true };
      await ensureCollection(data.collection).catch((error: unknown) => {
        throw conciseError(error); // a store that cannot be written fails here first
      });
      const shardDone = options.metrics?.startShard();
      try {
        const result = await embedShard(data, {
          encoder,
          store: options.store,
          manifest,
          exportDir: options.exportDir,
          fetch: options.fetch,
          batchPassages: options.batchPassages,
        });
        const { shardIndex, collection } = data;
        shardDone?.({ collection, ...result });
        options.log.info(
          `shard ${shardIndex} of ${collection}: stored ${result.stored} passages${describeRejects(result)}`,
        );
        // What BullMQ keeps as the job's return value: the counts, not the rejects themselves.
        const { rejects, ...counts } = result;
        return { ...counts, rejected: rejects.length };
      } catch (error) {
        shardDone?.();
        // Retrying cannot help these: fail the shard at once, so it reaches the dead-letter queue with its error.
        if (error instanceof ShardMismatchError) throw new UnrecoverableError(error.message);
        if (error instanceof RemoteCorpusError && !error.retryable)
          throw new UnrecoverableError(error.message);
        // The message the retry's log line, the dead-letter entry and `status` show.
        throw conciseError(error);
      }
    },
    {
      ...bullmqOptions,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
    },
  );
  shardWorker.on('failed', (job, error) => {
    if (job) void moveToDeadLetterIfFinal(job, error, deadLetter, options.log, options.metrics);
  });
  shardWorker.on('error', logQueueError(options.log, 'error', 'shard worker'));
  return shardWorker;
}

/** How many times a finalize job may lose its worker before it fails. */
export const FINALIZE_MAX_STALLS = 5;

function startFinalizing(options: ShardWorkersOptions, shared: Shared): Worker {
  const finalizeWorker = new Worker(
    QUEUES.finalize,
    async (job: Job) => {
      const data = parseFinalizeJob(job.id, job.data);
      const stop = options.metrics?.finalizeSeconds.startTimer();
      try {
        const result = await finalizeCollection(data, options.store, shared);
        stop?.({ outcome: 'finalized' });
        options.log.info(`collection ${data.collection} finalized: ${result.stored} points stored`);
        return result;
      } catch (error) {
        stop?.({ outcome: 'failed' });
        throw conciseError(error); // the reason `status` shows
      }
    },
    {
      ...shared.bullmqOptions,
      concurrency: 1,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
      // Finalize resumes where it stopped (every step can be re-run) and runs for half an hour at MS MARCO scale
      // (docs/operations.md): a worker lost twice in that time (preempted, OOM-killed) must not fail it for good,
      // as BullMQ's default of one stall would.
      maxStalledCount: FINALIZE_MAX_STALLS,
    },
  );
  finalizeWorker.on('failed', (job, error) => options.log.error(`finalize ${job?.id}: ${error.message}`));
  finalizeWorker.on('error', logQueueError(options.log, 'error', 'finalize worker'));
  return finalizeWorker;
}

/**
 * An ingest that accepted no record has no shard, so no worker created its collection: an embedding worker
 * creates it empty; a finalize-only worker (no model, no dimension) records the ingest as finalized with nothing
 * stored. A collection missing although records were accepted is an error finalizeIngest reports.
 */
async function finalizeCollection(
  data: FinalizeJobData,
  store: VectorStore & ShardLedger,
  { manifest, ensureCollection }: Shared,
): Promise<{ stored: number }> {
  const created = await ensureCollection(data.collection);
  if (!created && data.acceptedRecords === 0 && (await store.describe(data.collection)) === undefined) {
    await manifest.markFinalized(data.collection, 0);
    return { stored: 0 };
  }
  return finalizeIngest(data, { store, manifest });
}

type ShardOutcome = Omit<EmbedShardResult, 'rejects'> & { readonly rejected: number };

/** How many rejects a log line quotes. */
const LOGGED_REJECTS = 5;

/**
 * `; 2 records in its range rejected, as at ingest: line 12 empty-text, line 40 no-separator`, or
 * nothing. They are in the producer's rejects file already; the line makes a worker's log
 * self-explanatory when a shard stores fewer passages than its size.
 */
function describeRejects(result: EmbedShardResult): string {
  if (result.rejects.length === 0) return '';
  const quoted = result.rejects.slice(0, LOGGED_REJECTS).map((r) => `line ${r.line} ${r.kind}`);
  const more = result.rejects.length > LOGGED_REJECTS ? `, ...` : '';
  return `; ${result.rejects.length} records in its range rejected, as at ingest: ${quoted.join(', ')}${more}`;
}

async function moveToDeadLetterIfFinal(
  job: Job,
  error: Error,
  deadLetter: Queue<DeadLetterData>,
  log: ShardWorkersOptions['log'],
  metrics: WorkerMetrics | undefined,
): Promise<void> {
  const collection = (job.data as Partial<ShardJobData>).collection ?? 'unknown';
  try {
    if ((await job.getState()) !== 'failed') {
      metrics?.shardFailed(collection, 'retrying');
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
    metrics?.shardFailed(collection, 'dead_lettered');
    log.error(`shard job ${job.id} failed for good after ${job.attemptsMade} attempts: ${error.message}`);
  } catch (recordError) {
    log.error(`could not record failed shard ${job.id}: ${(recordError as Error).message}`);
  }
}
