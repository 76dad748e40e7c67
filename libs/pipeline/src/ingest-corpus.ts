import { stat } from 'node:fs/promises';
import { FlowProducer, Queue, type Job } from 'bullmq';
import { openCorpus, type Corpus, type RejectedRecord } from '@embedline/corpus';
import {
  IngestManifest,
  QUEUES,
  finalizeJobId,
  qualifiedQueueName,
  queueOptions,
  sealJobId,
  shardJobId,
  isShardOf,
  shardKey,
  isEmbeddedWith,
  type FinalizeJobData,
  type IngestSnapshot,
  type RedisClient,
  type ShardJobData,
} from '@embedline/queue';
import type { ShardLedger, VectorStore } from '@embedline/store';
import { fingerprintCorpus } from './corpus-fingerprint.ts';
import { planShards, type PlannedShard } from './plan-shards.ts';
import { checkRemoteCorpus, isRemoteCorpus } from './remote-range.ts';

/** How shard jobs are retried before they land in the dead-letter queue. */
export const SHARD_ATTEMPTS = 5;

/**
 * Retries of a shard job that failed for a transient reason (store down, Redis blip, corpus server
 * busy): attempt n+1 starts `backoffMs * 2^(n-1)` after attempt n failed, so the defaults (5 attempts,
 * 2 s) ride out an outage of about 30 s before the shard goes to the dead-letter queue.
 */
export interface ShardRetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_SHARD_RETRY: ShardRetryPolicy = { attempts: SHARD_ATTEMPTS, backoffMs: 2000 };
/** The seal waits "forever" (ten years) until the producer releases it. */
const SEAL_DELAY_MS = 10 * 365 * 24 * 3600 * 1000;

export interface IngestOptions {
  /** The corpus file, read by the producer (and by the workers, unless `corpusUrl` or `inline`). */
  readonly corpus: string;
  /**
   * An http(s) URL serving the same file, honouring Range requests: range jobs name it instead of
   * the path and workers fetch just their shard's bytes. Checked (Range support, same size) before
   * anything is enqueued.
   */
  readonly corpusUrl?: string;
  readonly collection: string;
  readonly format?: string;
  /**
   * Embed each passage's title with its text, as BEIR does (`embeddingText`): the field (JSONL key,
   * Arrow/Parquet column) holding the title. It travels in every shard job; it is part of what defines the
   * ingest, so a re-run with another one (or none, after one) is refused. Not for TSV or TREC corpora.
   */
  readonly titleField?: string;
  readonly shardSize: number;
  readonly inline: boolean;
  /** Stop adding while this many shard jobs are waiting (bounds Redis memory). */
  readonly highWaterMark: number;
  /** Jobs per addBulk call. */
  readonly addChunk: number;
  readonly connection: RedisClient;
  readonly prefix: string;
  /** The store: its durable record of finished shards (survives a Redis loss), and whether the collection holds points. */
  readonly store: ShardLedger & Pick<VectorStore, 'describe'>;
  /**
   * Called once the corpus is to be read, that is unless this corpus is already ingested and finalized: the
   * place to open (and so truncate) a rejects file, which a re-run of a finished ingest must leave as it was.
   */
  readonly beforeRead?: () => Promise<void>;
  /** Awaited, so a slow rejects file holds the read back instead of buffering. */
  readonly onReject?: (rejected: RejectedRecord) => void | Promise<void>;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** How often to re-check the queue depth while held back by the high-water mark. */
  readonly backpressurePollMs?: number;
  /** Retries of failed shard jobs (default DEFAULT_SHARD_RETRY). */
  readonly retry?: Partial<ShardRetryPolicy>;
  /** For the corpus URL check; the workers fetch with the global fetch. */
  readonly fetch?: typeof fetch;
  /** How often the producer records that it is still enqueuing (default PRODUCER_HEARTBEAT_MS). */
  readonly heartbeatMs?: number;
}

/** How often a producer records that it is enqueuing: `status` calls one silent for 6 of these stopped. */
export const PRODUCER_HEARTBEAT_MS = 5000;
/**
 * How often a producer held back by the high-water mark looks at the queue again. The fleet drains the queue
 * meanwhile; it adds a chunk once `addChunk` fit under the mark, so with the defaults (200, 50) the queue runs dry
 * when the fleet takes more than 150 shards per poll: at 500 ms, 300 shards/s (~11 GPUs at 28k passages/s); at
 * 100 ms, 1,500/s. One queue-count call per poll is nothing to Redis.
 */
const BACKPRESSURE_POLL_MS = 100;

export interface IngestProgress {
  readonly acceptedRecords: number;
  /** With a title field: accepted records with no title (missing, null or blank), embedded as their text alone. */
  readonly untitledRecords: number;
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
 * A corpus with no acceptable passage (empty, or every record rejected) writes nothing to Redis: its
 * summary says 0 accepted and 0 shards, and no ingest is recorded that would finalize an empty collection.
 */
export async function ingestCorpus(options: IngestOptions): Promise<IngestSummary> {
  // Whole-file problems (no such file, a folder, an unknown format, a bad gzip, Arrow or Parquet file) are a
  // CorpusError naming the path, thrown before anything is written to Redis: a failed start leaves no
  // ingest that `status` would show as "enqueuing" forever.
  const corpus = await openCorpus(options.corpus, { format: options.format, titleField: options.titleField });
  const fingerprint = await fingerprintCorpus(options.corpus);
  const { size } = await stat(options.corpus);
  const retry = shardRetryPolicy(options.retry);
  if (options.corpusUrl !== undefined) await checkCorpusUrl(options, corpus, size);
  const manifest = new IngestManifest(options.connection, options.prefix);
  const bullmqOptions = queueOptions(options.connection, options.prefix);
  const shards = new Queue<ShardJobData>(QUEUES.shards, bullmqOptions);
  const flows = new FlowProducer(bullmqOptions);
  const finalizeQueue = new Queue<FinalizeJobData>(QUEUES.finalize, bullmqOptions);
  const progress = emptyProgress(size);
  let heartbeat: NodeJS.Timeout | undefined;
  const plan = planShards(options.corpus, {
    corpus,
    shardSize: options.shardSize,
    inline: options.inline,
    format: options.format,
    titleField: options.titleField,
    uri: options.corpusUrl,
    onReject: async (rejected) => {
      progress.rejectedRecords += 1;
      await options.onReject?.(rejected);
    },
  })[Symbol.asyncIterator]();
  try {
    const parentId = finalizeJobId(options.collection, fingerprint);
    const existing = await finalizeQueue.getJob(parentId);
    const existingState = await existing?.getState();
    const finalized = existingState === 'completed';
    // Before anything is read or written: a re-run must ask for the ingest Redis recorded (title field, shard size).
    checkSameIngest(
      options,
      fingerprint,
      existing && { titleField: existing.data.titleField, finalized },
      await manifest.read(options.collection),
    );
    if (finalized) return { ...progress, fingerprint, alreadyFinalized: true };
    // The store's record of finished shards: one of this corpus embedded otherwise refuses the run before the
    // rejects file is opened; with another shard size, before anything is written.
    const ledger = await options.store.completedShards(options.collection);
    checkLedgerTitleField(options, ledger, fingerprint);
    await options.beforeRead?.();
    // Read up to the first shard before writing anything: a corpus that yields none leaves no ingest behind.
    const first = await plan.next();
    if (first.done) return { ...progress, position: size, fingerprint, alreadyFinalized: false };
    checkShardSize(options, ledger, fingerprint, first.value);
    const sealId = sealJobId(options.collection, fingerprint);
    if (existing && existingState === 'failed') {
      // Finalize failed: a new parent runs it again. The old seal goes too: completed, it would release the new
      // parent at once, before this run has written the totals into it (finalize then expected 0 records).
      await existing.remove({ removeChildren: false });
      await shards.remove(sealId);
    }
    await manifest.begin(options.collection, fingerprint, options.corpus, {
      titleField: options.titleField,
      shardSize: options.shardSize,
    });
    heartbeat = startHeartbeat(manifest, options, progress);
    const appendFirstWrites = await manifest.appendFirstWrites(options.collection, async () => {
      const info = await options.store.describe(options.collection);
      return info === undefined || info.count === 0;
    });
    await ensureFlowParent(flows, options, fingerprint, parentId, sealId);

    await enqueueShards(shards, options, prepend(first.value, plan), progress, {
      fingerprint,
      appendFirstWrites,
      retry,
      size,
      done: await alreadyDone(options, manifest, ledger, fingerprint),
      ledger,
      manifest,
      parent: { id: parentId, queue: qualifiedQueueName(options.prefix, QUEUES.finalize) },
    });
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
      ...titleFieldData(options),
    });
    options.onProgress?.({ ...progress });
    return { ...progress, fingerprint, alreadyFinalized: false };
  } finally {
    clearInterval(heartbeat);
    await plan.return?.(undefined);
    await Promise.all([shards.close(), flows.close(), finalizeQueue.close()]);
  }
}

/**
 * Records now and every `heartbeatMs` that this producer is enqueuing, with its counts so far; a failed write
 * is tried again next time.
 */
function startHeartbeat(
  manifest: IngestManifest,
  options: IngestOptions,
  progress: IngestProgress,
): NodeJS.Timeout {
  const beat = () => {
    const { acceptedRecords, rejectedRecords, shards: totalShards } = progress;
    manifest
      .markProducerAlive(options.collection, { acceptedRecords, rejectedRecords, totalShards })
      .catch(() => undefined);
  };
  beat();
  return setInterval(beat, options.heartbeatMs ?? PRODUCER_HEARTBEAT_MS).unref();
}

/** `first`, then the rest of the iterator it was taken from. */
async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** What every shard job of one ingest shares. */
interface EnqueueContext {
  readonly fingerprint: string;
  readonly appendFirstWrites: boolean;
  readonly retry: ShardRetryPolicy;
  /** The corpus's size in bytes. */
  readonly size: number;
  /** Keys of the shards finished earlier: not enqueued again. */
  readonly done: ReadonlySet<string>;
  /** The store's ledger: shard key -> passages stored (see checkShardSize). */
  readonly ledger: ReadonlyMap<string, number>;
  /** Where workers count the shards they finish (checked again before each add). */
  readonly manifest: IngestManifest;
  /** The finalize job every shard job is a child of. */
  readonly parent: { readonly id: string; readonly queue: string };
}

/**
 * Reads the corpus shard by shard and adds the jobs of the shards not done yet, `addChunk` at a time,
 * each chunk only once fewer than the high-water mark wait (so Redis holds a bounded number of jobs
 * however large the corpus), counting the whole corpus into `progress`.
 */
async function enqueueShards(
  shards: Queue<ShardJobData>,
  options: IngestOptions,
  plan: AsyncIterable<PlannedShard>,
  progress: MutableProgress,
  context: EnqueueContext,
): Promise<void> {
  const report = () => options.onProgress?.({ ...progress });
  let pending: PlannedShard[] = [];
  // Slow start: the first chunk holds one shard, each next one twice as many, up to `addChunk`, so that workers
  // start as soon as the first shard is read instead of after `addChunk` shards are (the default 50 are 50k
  // passages: the first shard was stored ~0.25 s later on a 2-core host, where one GPU embeds 200k in ~7 s).
  let chunkLimit = 1;
  const flush = async () => {
    if (pending.length === 0) return;
    await waitBelowHighWaterMark(shards, options, () => {
      progress.waitingForBackpressure = true;
      report();
    });
    progress.waitingForBackpressure = false;
    // Shards finished since `done` was read, from jobs another run of this ingest added (one that died, or runs
    // beside this one): their ids are free again (jobs are removed on completion), so adding them would embed
    // them again, possibly after finalize.
    const finished = await context.manifest.areShardsDone(
      options.collection,
      pending.map((shard) => shardKey(context.fingerprint, shard.index, options.titleField)),
    );
    const fresh = pending.filter((_, i) => !finished[i]);
    if (fresh.length > 0) await shards.addBulk(fresh.map((shard) => shardJob(options, context, shard)));
    progress.enqueuedShards += fresh.length;
    progress.skippedShards += pending.length - fresh.length;
    pending = [];
    chunkLimit = Math.min(options.addChunk, chunkLimit * 2);
    report();
  };
  for await (const shard of plan) {
    checkShardSize(options, context.ledger, context.fingerprint, shard);
    progress.shards += 1;
    progress.acceptedRecords += shard.records;
    progress.untitledRecords += shard.untitled;
    progress.position = shard.position;
    if (context.done.has(shardKey(context.fingerprint, shard.index, options.titleField)))
      progress.skippedShards += 1;
    else pending.push(shard);
    if (pending.length >= chunkLimit) await flush();
    else if (progress.shards % 50 === 0) report();
  }
  await flush();
  progress.position = context.size;
}

type MutableProgress = { -readonly [K in keyof IngestProgress]: IngestProgress[K] };

function emptyProgress(size: number): MutableProgress {
  return {
    acceptedRecords: 0,
    untitledRecords: 0,
    rejectedRecords: 0,
    shards: 0,
    enqueuedShards: 0,
    skippedShards: 0,
    position: 0,
    size,
    waitingForBackpressure: false,
  };
}

/** Shards of this corpus finished earlier: the store's ledger (durable) merged into Redis's manifest (fast, may be gone). */
async function alreadyDone(
  options: IngestOptions,
  manifest: IngestManifest,
  ledger: ReadonlyMap<string, number>,
  fingerprint: string,
): Promise<Set<string>> {
  // After Redis lost the manifest, the shards the store recorded are counted done again: status would show
  // "0/10 done" with 2 stored otherwise. The manifest then holds every shard of this corpus that is done.
  const ours = new Map([...ledger].filter(([key]) => isShardOf(key, fingerprint)));
  await manifest.restoreDoneShards(options.collection, ours);
  return manifest.doneShardKeys(options.collection);
}

/**
 * Shard keys are the corpus's fingerprint and the shard's index, so a re-run must cut the corpus as the first run
 * did: with another --shard-size, shard i would be skipped as done while it covers other passages than the
 * stored shard i, and finalize would find passages missing. Workers store exactly a shard's accepted records,
 * so a stored shard of another size than the one planned means the ingest began with another shard size.
 */
function checkShardSize(
  options: IngestOptions,
  ledger: ReadonlyMap<string, number>,
  fingerprint: string,
  shard: PlannedShard,
): void {
  const stored = ledger.get(shardKey(fingerprint, shard.index, options.titleField));
  if (stored === undefined || stored === shard.records) return;
  throw new Error(
    `${options.corpus}: shard ${shard.index} of this corpus is stored in ${options.collection} with ${stored} passages, ` +
      `but a shard size of ${options.shardSize} makes it ${shard.records}: this ingest began with another shard size ` +
      `(the first run's --shard-size, or EMBEDLINE_SHARD_SIZE); re-run it with that one`,
  );
}

/**
 * A re-run continues the ingest Redis recorded for this corpus only as it began: the same title field (from
 * its finalize job, even once finalized, and from its manifest) and, while not finalized, the same shard size.
 */
function checkSameIngest(
  options: IngestOptions,
  fingerprint: string,
  finalizeJob: { readonly titleField?: string; readonly finalized: boolean } | undefined,
  recorded: IngestSnapshot | undefined,
): void {
  if (finalizeJob !== undefined)
    checkTitleField(options, finalizeJob.titleField, finalizeJob.finalized ? 'finalized' : 'begun');
  if (recorded?.fingerprint !== fingerprint) return;
  checkTitleField(options, recorded.titleField, 'begun');
  if (finalizeJob?.finalized !== true) checkRecordedShardSize(options, recorded.shardSize);
}

/**
 * The same rule against Redis's record of the ingest, before the corpus is read: a refused re-run then leaves
 * the first run's rejects file as it was (checkShardSize, from the store's ledger, needs the first shard read).
 */
function checkRecordedShardSize(options: IngestOptions, recorded: number | undefined): void {
  if (recorded === undefined || recorded === options.shardSize) return;
  throw new Error(
    `${options.corpus}: the ingest of this corpus into ${options.collection} began with a shard size of ${recorded}, ` +
      `but this run asks for ${options.shardSize} (--shard-size, or EMBEDLINE_SHARD_SIZE): shards are counted by ` +
      `index, so a re-run must cut the corpus the same way; re-run it with ${recorded}`,
  );
}

/** How an ingest embeds, in words: `the text alone`, `title + " " + text (title field "title")`. */
function embedsWhat(titleField: string | undefined): string {
  return titleField === undefined ? 'the text alone' : `title + " " + text (title field "${titleField}")`;
}

/** The flag that asks for `titleField`. */
function titleFlag(titleField: string | undefined): string {
  return titleField === undefined ? 'no --title-field' : `--title-field ${titleField}`;
}

/**
 * The title field is part of what defines an ingest, as the shard size is: every shard must be embedded the
 * same way, and shards already done are skipped, so a re-run with another title field (or none after one, or
 * one after none) would leave a collection embedded two ways, and one finalized would stay as it is. Refused,
 * naming how the ingest embeds; `recorded` is the field its finalize job or manifest recorded.
 */
function checkTitleField(
  options: IngestOptions,
  recorded: string | undefined,
  state: 'begun' | 'finalized',
): void {
  if (recorded === options.titleField) return;
  const fix =
    state === 'finalized'
      ? `to embed it as ${embedsWhat(options.titleField)}, ingest it into another collection`
      : `re-run it with ${titleFlag(recorded)}, or ingest into another collection`;
  throw new Error(
    `${options.corpus}: the ingest of this corpus into ${options.collection} ${state === 'finalized' ? 'is finalized' : 'began'} ` +
      `embedding ${embedsWhat(recorded)}, but this run embeds ${embedsWhat(options.titleField)}: ` +
      `the title setting is part of what defines an ingest (every shard is embedded the same way); ${fix}`,
  );
}

/**
 * The same check against the store's ledger, which outlives Redis: shard keys say how each shard was embedded
 * (shardKey), so a stored shard of this corpus embedded otherwise means the ingest began with another setting.
 */
function checkLedgerTitleField(
  options: IngestOptions,
  ledger: ReadonlyMap<string, number>,
  fingerprint: string,
): void {
  for (const key of ledger.keys()) {
    if (!isShardOf(key, fingerprint) || isEmbeddedWith(key, fingerprint, options.titleField)) continue;
    const first = isEmbeddedWith(key, fingerprint, undefined)
      ? { what: embedsWhat(undefined), flag: titleFlag(undefined) }
      : {
          what:
            options.titleField === undefined
              ? 'title + " " + text (a --title-field)'
              : `title + " " + text from another title field than "${options.titleField}"`,
          flag: "the first run's --title-field",
        };
    throw new Error(
      `${options.corpus}: shard ${key} of this corpus is stored in ${options.collection} embedding ${first.what}, ` +
        `but this run embeds ${embedsWhat(options.titleField)}: the title setting is part of what defines an ingest ` +
        `(every shard is embedded the same way); re-run it with ${first.flag}, or ingest into another collection`,
    );
  }
}

/** The title field for job data: absent when there is none, as in every job from before it existed. */
function titleFieldData(options: IngestOptions): { titleField?: string } {
  return options.titleField === undefined ? {} : { titleField: options.titleField };
}

/** Creates the finalize parent with its seal child, unless this ingest's parent already waits. */
async function ensureFlowParent(
  flows: FlowProducer,
  options: IngestOptions,
  fingerprint: string,
  parentId: string,
  sealId: string,
): Promise<void> {
  const data: FinalizeJobData = {
    collection: options.collection,
    fingerprint,
    acceptedRecords: 0,
    totalShards: 0,
    ...titleFieldData(options),
  };
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

/** `corpusUrl` must be an http(s) URL, not combined with --inline, serving the same file with Range support. */
async function checkCorpusUrl(options: IngestOptions, corpus: Corpus, size: number): Promise<void> {
  const url = options.corpusUrl!;
  if (!isRemoteCorpus(url)) throw new TypeError(`corpus URL "${url}": need an http:// or https:// URL`);
  if (options.inline)
    throw new TypeError(
      `corpus URL "${url}": --inline carries the passages in the jobs; give one or the other`,
    );
  if (!corpus.seekable) {
    throw new TypeError(
      `corpus URL "${url}": a ${corpus.format} corpus cannot be read by byte range (only tsv, jsonl and trec can); use --inline`,
    );
  }
  await checkRemoteCorpus(url, size, options.fetch);
}

function shardRetryPolicy(overrides: Partial<ShardRetryPolicy> = {}): ShardRetryPolicy {
  const retry = { ...DEFAULT_SHARD_RETRY, ...overrides };
  if (!Number.isSafeInteger(retry.attempts) || retry.attempts < 1) {
    throw new RangeError(`shard retry: attempts must be a whole number >= 1, got ${retry.attempts}`);
  }
  if (!Number.isSafeInteger(retry.backoffMs) || retry.backoffMs < 0) {
    throw new RangeError(
      `shard retry: backoff must be a whole number of milliseconds >= 0, got ${retry.backoffMs}`,
    );
  }
  return retry;
}

function shardJob(
  options: IngestOptions,
  { fingerprint, appendFirstWrites, retry, parent }: EnqueueContext,
  shard: PlannedShard,
) {
  const data: ShardJobData = {
    kind: 'shard',
    collection: options.collection,
    fingerprint,
    shardIndex: shard.index,
    records: shard.records,
    source: shard.source,
    ...(appendFirstWrites ? { appendFirstWrites } : {}),
    ...titleFieldData(options),
  };
  return {
    name: 'shard',
    data,
    opts: {
      jobId: shardJobId(options.collection, fingerprint, shard.index, options.titleField),
      parent,
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: true,
      removeOnFail: false,
    },
  };
}

async function waitBelowHighWaterMark(
  queue: Queue,
  options: IngestOptions,
  onWait: () => void,
): Promise<void> {
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'prioritized');
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0);
    if (waiting + options.addChunk <= options.highWaterMark || waiting === 0) return;
    onWait();
    await new Promise((resolve) => setTimeout(resolve, options.backpressurePollMs ?? BACKPRESSURE_POLL_MS));
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
