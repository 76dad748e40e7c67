import { Queue, type JobType } from 'bullmq';
import {
  IngestManifest,
  QUEUES,
  deadLetterJobId,
  finalizeJobId,
  shardJobIdPrefix,
  queueOptions,
  type DeadLetterData,
  type IngestSnapshot,
  type RedisClient,
} from '@embedline/queue';
import { PRODUCER_HEARTBEAT_MS } from './ingest-corpus.ts';

export interface IngestStatus {
  readonly snapshot?: IngestSnapshot;
  /**
   * This ingest's shard jobs by state (the shard queue is shared by every collection of the prefix; its seal and
   * other ingests' jobs are not counted). Delayed: waiting out a retry's backoff.
   */
  readonly queue: { waiting: number; active: number; delayed: number; failed: number };
  readonly deadLetters: DeadLetterData[];
  /** Passages embedded per second since the ingest began: until now, or until the last shard when all are done. */
  readonly passagesPerSecond?: number;
  /** Seconds left at that rate; only while shards remain after the producer has enqueued them all. */
  readonly etaSeconds?: number;
  /**
   * While enqueuing: seconds since the producer last said it was alive, once that is longer than a live one
   * stays silent (it died, or lost Redis: re-running the ingest resumes it).
   */
  readonly producerSilentSeconds?: number;
  /** The finalize job, once every shard is done and until the manifest records the collection finalized. */
  readonly finalize?: FinalizeStatus;
  readonly state: IngestState;
}

/** Every state `status` can report, for schemas that list them (the API's OpenAPI document). */
export const INGEST_STATES = [
  'unknown',
  'enqueuing',
  'embedding',
  'finalizing',
  'finalized',
  'stalled-on-failures',
  'finalize-failed',
] as const;
export type IngestState = (typeof INGEST_STATES)[number];

export interface FinalizeStatus {
  /** waiting: queued for a worker that consumes the finalize queue; active: running; failed: gave up. */
  readonly state: 'waiting' | 'active' | 'failed';
  /** When the running (or last) attempt started, ms since the epoch. */
  readonly startedAt?: number;
  /** Why it failed (failed only). */
  readonly error?: string;
}

/** Everything `status` prints, from Redis alone, so it works from any machine. */
export async function readIngestStatus(
  connection: RedisClient,
  prefix: string,
  collection: string,
): Promise<IngestStatus> {
  const { shards, deadLetter, finalizeQueue } = statusQueues(connection, prefix);
  try {
    const [snapshot, deadLetters] = await Promise.all([
      new IngestManifest(connection, prefix).read(collection),
      collectionDeadLetters(deadLetter, collection),
    ]);
    const queue = await shardJobCounts(shards, collection, snapshot);
    const finalize =
      snapshot?.finalizedAt === undefined ? await finalizeStatus(finalizeQueue, snapshot) : undefined;
    return {
      snapshot,
      queue,
      deadLetters,
      ...throughput(snapshot),
      ...producerSilence(snapshot),
      ...(finalize ? { finalize } : {}),
      state: stateOf(snapshot, deadLetters.length, finalize),
    };
  } finally {
    await Promise.all([shards.close(), deadLetter.close(), finalizeQueue.close()]);
  }
}

/**
 * Counts this ingest's shard jobs by state from their ids alone (`shard-<collection>-<fingerprint>-...`, see
 * shardJobId): the lists hold at most the producer's high-water mark waiting, the workers' slots active, and the
 * failed shards, so reading ids is cheap where reading jobs would not be.
 */
async function shardJobCounts(
  shards: Queue,
  collection: string,
  snapshot: IngestSnapshot | undefined,
): Promise<IngestStatus['queue']> {
  if (snapshot === undefined) return { waiting: 0, active: 0, delayed: 0, failed: 0 };
  const ours = shardJobIdPrefix(collection, snapshot.fingerprint);
  const count = async (...types: JobType[]) =>
    (await shards.getRanges(types, 0, -1)).filter((id) => id.startsWith(ours)).length;
  const [waiting, active, delayed, failed] = await Promise.all([
    count('wait', 'prioritized'),
    count('active'),
    count('delayed'),
    count('failed'),
  ]);
  return { waiting, active, delayed, failed };
}

/** The ingest's finalize job, once it has left waiting-children (every shard and the seal are done). */
async function finalizeStatus(
  finalizeQueue: Queue,
  snapshot: IngestSnapshot | undefined,
): Promise<FinalizeStatus | undefined> {
  if (snapshot === undefined) return undefined;
  const job = await finalizeQueue.getJob(finalizeJobId(snapshot.collection, snapshot.fingerprint));
  if (!job) return undefined;
  const state = await job.getState();
  const startedAt = job.processedOn ?? undefined;
  if (state === 'failed') return { state, startedAt, error: job.failedReason };
  if (state === 'active') return { state, startedAt };
  if (state === 'waiting' || state === 'prioritized' || state === 'delayed') return { state: 'waiting' };
  return undefined; // waiting-children: shards remain; completed: the manifest says finalized
}

/**
 * The collection's dead letters: ids first (every collection's dead letters share the queue, and read whole they
 * grow with every failure of the prefix), then the data of those whose id names a shard of this collection.
 */
async function collectionDeadLetters(
  deadLetter: Queue<DeadLetterData>,
  collection: string,
): Promise<DeadLetterData[]> {
  const ours = deadLetterJobId(shardJobIdPrefix(collection));
  const ids = (await deadLetter.getRanges(['wait', 'delayed'], 0, -1)).filter((id) => id.startsWith(ours));
  const jobs = await Promise.all(ids.map((id) => deadLetter.getJob(id)));
  // The prefix also matches a collection whose name extends this one ("docs" and "docs-v2"): the data decides.
  return jobs.flatMap((job) => (job?.data.collection === collection ? [job.data] : []));
}

/** The shard, dead-letter and finalize queues, for reading (the caller closes them). */
function statusQueues(connection: RedisClient, prefix: string) {
  const bullmqOptions = queueOptions(connection, prefix);
  return {
    shards: new Queue(QUEUES.shards, bullmqOptions),
    deadLetter: new Queue<DeadLetterData>(QUEUES.deadLetter, bullmqOptions),
    finalizeQueue: new Queue(QUEUES.finalize, bullmqOptions),
  };
}

/** Silent for six heartbeats: a live producer, even one held back by backpressure, writes one every 5 s. */
const PRODUCER_SILENT_MS = 6 * PRODUCER_HEARTBEAT_MS;

/** `producerSilentSeconds` of an unsealed ingest whose producer has not been heard from for PRODUCER_SILENT_MS. */
export function producerSilence(
  snapshot: IngestSnapshot | undefined,
  now = Date.now(),
): Pick<IngestStatus, 'producerSilentSeconds'> {
  if (snapshot === undefined || snapshot.sealed || snapshot.producerSeenAt === undefined) return {};
  const silentMs = now - snapshot.producerSeenAt;
  return silentMs > PRODUCER_SILENT_MS ? { producerSilentSeconds: silentMs / 1000 } : {};
}

/**
 * The ingest's rate and time left. Once every shard is done the rate is the ingest's own (up to its last
 * shard), not one that keeps falling as the finished collection ages, and there is no ETA.
 */
export function throughput(
  snapshot: IngestSnapshot | undefined,
  now = Date.now(),
): Pick<IngestStatus, 'passagesPerSecond' | 'etaSeconds'> {
  if (!snapshot?.firstDoneAt || !snapshot.lastDoneAt || snapshot.lastDoneAt <= snapshot.firstDoneAt)
    return {};
  const remaining = snapshot.acceptedRecords - snapshot.doneRecords;
  const done = snapshot.sealed && remaining <= 0;
  const embedded = snapshot.doneRecords - snapshot.restoredRecords; // restored shards were stored before this run
  const rate = embedded / (((done ? snapshot.lastDoneAt : now) - snapshot.startedAt) / 1000);
  return {
    passagesPerSecond: rate,
    etaSeconds: snapshot.sealed && !done && rate > 0 ? remaining / rate : undefined,
  };
}

function stateOf(
  snapshot: IngestSnapshot | undefined,
  deadLetters: number,
  finalize: FinalizeStatus | undefined,
): IngestStatus['state'] {
  if (!snapshot) return 'unknown';
  if (snapshot.finalizedAt !== undefined) return 'finalized';
  if (finalize?.state === 'failed') return 'finalize-failed';
  if (deadLetters > 0) return 'stalled-on-failures';
  if (finalize !== undefined) return 'finalizing';
  return snapshot.sealed ? 'embedding' : 'enqueuing';
}

/**
 * `ingest --replay-failed`: puts every shard job of the collection that failed its last attempt
 * back in the queue, with its full retry budget again, and clears its dead-letter entry. The flow
 * parent still waits for these children, so finalize runs once they succeed.
 */
export async function replayFailedShards(
  connection: RedisClient,
  prefix: string,
  collection: string,
): Promise<number> {
  const { shards, deadLetter, finalizeQueue } = statusQueues(connection, prefix);
  try {
    let replayed = 0;
    for (const job of await shards.getFailed(0, -1)) {
      if ((job.data as { collection?: string }).collection !== collection || job.id === undefined) continue;
      // The entry goes first: were it removed after the retry, a replay that fails again at once
      // (attempts 1) could lose its fresh entry.
      await deadLetter.remove(deadLetterJobId(job.id));
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      replayed += 1;
    }
    // Entries whose shard job is gone or no longer failed (finished since, removed) say nothing now.
    for (const entry of await deadLetter.getJobs(['wait', 'delayed'], 0, -1)) {
      if (entry.data.collection !== collection) continue;
      if ((await shards.getJobState(entry.data.jobId)) !== 'failed') await entry.remove();
    }
    return replayed;
  } finally {
    await Promise.all([shards.close(), deadLetter.close(), finalizeQueue.close()]);
  }
}
