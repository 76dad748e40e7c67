import { resolve } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { nonNegativeIntFlag, positiveIntFlag, type EmbedlineEnv } from '@embedline/config';
import { openCorpus, RejectsWriter, type RejectedRecord } from '@embedline/corpus';
import {
  DEFAULT_SHARD_RETRY,
  ingestCorpus,
  readIngestStatus,
  replayFailedShards,
  type IngestProgress,
  type IngestStatus,
} from '@embedline/pipeline';
import { parseCollectionName, type RedisClient } from '@embedline/queue';
import { openStore } from '@embedline/store';
import {
  checkRedisFlags,
  connectRedis,
  formatDuration,
  withRedisOptions,
  type RedisFlags,
} from '../options.ts';
import { formatStatus } from './status.ts';

interface IngestFlags extends RedisFlags {
  collection: string;
  format?: string;
  titleField?: string;
  corpusUrl?: string;
  shardAttempts: number;
  retryBackoffMs: number;
  shardSize: number;
  inline?: boolean;
  highWaterMark: number;
  addChunk: number;
  rejects?: string;
  follow?: boolean;
  replayFailed?: boolean;
  resume?: boolean;
  progress: boolean;
}

export function ingestCommand(env: EmbedlineEnv): Command {
  const command = new Command('ingest')
    .description('Split a corpus into shards and enqueue one embedding job per shard not yet done.')
    .argument('<corpus>', 'collection.tsv, *.jsonl, their .gz, *.arrow, *.parquet or a TREC <DOC> file')
    .requiredOption('--collection <name>', 'collection to fill')
    .option(
      '--format <format>',
      'override the format guessed from the file name: tsv, tsv.gz, jsonl, jsonl.gz, arrow, parquet or trec',
    )
    .option(
      '--title-field <field>',
      'embed this field (JSONL key, Arrow/Parquet column) as a title with the text, as BEIR does: "title text"; stored text and payload are unchanged',
    )
    .option(
      '--corpus-url <url>',
      'workers fetch the corpus from this http(s) URL (Range requests) instead of its path',
    )
    .option(
      '--shard-size <n>',
      'passages per shard job (EMBEDLINE_SHARD_SIZE)',
      positiveIntFlag,
      env.EMBEDLINE_SHARD_SIZE,
    )
    .option('--inline', 'carry passages in the jobs (workers cannot read the corpus path)')
    .option(
      '--high-water-mark <n>',
      'pause while this many shard jobs wait (EMBEDLINE_HIGH_WATER_MARK)',
      positiveIntFlag,
      env.EMBEDLINE_HIGH_WATER_MARK,
    )
    .option('--add-chunk <n>', 'jobs per addBulk call', positiveIntFlag, 50)
    .option(
      '--shard-attempts <n>',
      'tries of a failing shard before the dead-letter queue',
      positiveIntFlag,
      DEFAULT_SHARD_RETRY.attempts,
    )
    .option(
      '--retry-backoff-ms <n>',
      'wait before the 2nd try; doubled for each later one',
      nonNegativeIntFlag,
      DEFAULT_SHARD_RETRY.backoffMs,
    )
    .option(
      '--rejects <file>',
      'where to write rejected records (JSONL; default: the corpus path, its extension replaced by .rejects.jsonl)',
      undefined,
    )
    .option('--follow', 'after enqueuing, follow progress until the collection is finalized')
    .option('--resume', 'say what is already done before continuing (every ingest resumes anyway)')
    .option('--replay-failed', "re-queue this collection's shards that failed their last attempt, then exit")
    .option('--no-progress', 'no progress bar (for logs)');
  return withRedisOptions(command, env).action(async (corpus: string, flags: IngestFlags) => {
    const collection = parseCollectionName(flags.collection);
    const rejectsPath = flags.rejects ?? `${corpus.replace(/\.[^/.]+$/, '')}.rejects.jsonl`;
    checkRedisFlags(flags); // settings first: they need no I/O, and a wrong one is wrong whatever the corpus
    if (!flags.replayFailed) {
      // A corpus that cannot be read (missing, a folder, unknown format) is named before Redis or a rejects file is touched.
      await openCorpus(corpus, { format: flags.format, titleField: flags.titleField });
      if (resolve(rejectsPath) === resolve(corpus))
        throw new Error(
          `--rejects ${rejectsPath} is the corpus itself: writing rejects there would overwrite it`,
        );
    }
    const connection = await connectRedis(flags);
    const store = await openStore(env);
    try {
      if (flags.replayFailed) {
        await replayFailed(connection, flags.prefix, collection);
        return;
      }
      if (flags.resume)
        console.log(
          formatStatus(
            collection,
            await readIngestStatus(connection, flags.prefix, collection),
            flags.prefix,
          ),
        );
      await runIngest(corpus, rejectsPath, collection, flags, connection, store);
      if (flags.follow) await follow(connection, flags.prefix, collection, flags.progress);
    } finally {
      await store.close();
      await connection.quit();
    }
  });
}

/** `--replay-failed`: a collection with no ingest here is an error (a typo, another Redis or prefix), as for `status`. */
async function replayFailed(connection: RedisClient, prefix: string, collection: string): Promise<void> {
  const status = await readIngestStatus(connection, prefix, collection);
  if (status.snapshot === undefined)
    throw new Error(`${formatStatus(collection, status, prefix)}; nothing to replay`);
  const replayed = await replayFailedShards(connection, prefix, collection);
  const finalizeFailed =
    status.finalize?.state === 'failed'
      ? `; its finalize failed (${status.finalize.error}): re-run the ingest without --replay-failed to finalize again`
      : '';
  console.log(`re-queued ${replayed} failed shard(s) of ${collection}${finalizeFailed}`);
}

async function runIngest(
  corpus: string,
  rejectsPath: string,
  collection: string,
  flags: IngestFlags,
  connection: RedisClient,
  store: Awaited<ReturnType<typeof openStore>>,
): Promise<void> {
  // Opened only when the corpus is read: a re-run of a finished ingest keeps the first run's rejects.
  let rejects: RejectsWriter | undefined;
  const bar =
    flags.progress && process.stderr.isTTY ? new SingleBar({ format: BAR_FORMAT, etaBuffer: 50 }) : undefined;
  const started = Date.now();
  let barStarted = false;
  let latest: IngestProgress | undefined;
  const onProgress = (p: IngestProgress) => {
    latest = p;
    if (!bar) return;
    if (!barStarted) bar.start(p.size, 0, payload(p, started));
    barStarted = true;
    bar.update(p.position, payload(p, started));
  };
  // Ctrl-C or a SIGTERM while enqueuing: say how far it got and that a re-run resumes, with the rejects so far
  // written out, instead of vanishing silently.
  const interrupted = (signal: NodeJS.Signals) => {
    bar?.stop();
    const soFar = latest
      ? `${latest.enqueuedShards} shards enqueued, ${latest.acceptedRecords} passages read`
      : 'nothing enqueued';
    console.error(
      `embedline-producer: ${signal}: stopped enqueuing ${collection} (${soFar}); the shards enqueued keep running, ` +
        'and re-running the same ingest resumes',
    );
    void (rejects?.close() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const summary = await ingestCorpus({
      corpus,
      collection,
      format: flags.format,
      titleField: flags.titleField,
      corpusUrl: flags.corpusUrl,
      retry: { attempts: flags.shardAttempts, backoffMs: flags.retryBackoffMs },
      shardSize: flags.shardSize,
      inline: flags.inline ?? false,
      highWaterMark: flags.highWaterMark,
      addChunk: flags.addChunk,
      connection,
      prefix: flags.prefix,
      store,
      beforeRead: async () => {
        rejects = await RejectsWriter.open(rejectsPath, { source: corpus });
      },
      onReject: (r: RejectedRecord) => rejects!.write(r),
      onProgress,
    });
    bar?.stop();
    if (summary.alreadyFinalized) {
      console.log(
        `${collection}: this corpus (fingerprint ${summary.fingerprint.slice(0, 16)}) is already ingested and finalized`,
      );
      return;
    }
    const rejected = describeRejects(rejects!, rejectsPath);
    if (summary.acceptedRecords === 0) {
      const why =
        summary.rejectedRecords === 0
          ? 'it holds no records'
          : `all ${summary.rejectedRecords} records were rejected${rejected}`;
      throw new Error(`${corpus}: no passage to ingest into ${collection}: ${why}; nothing was enqueued`);
    }
    console.log(
      `${collection}: accepted ${summary.acceptedRecords} passages${describeTitles(flags.titleField, summary)}, rejected ${summary.rejectedRecords}${rejected}; ` +
        `${summary.shards} shards: ${summary.enqueuedShards} enqueued, ${summary.skippedShards} already done ` +
        `(${formatDuration((Date.now() - started) / 1000)})`,
    );
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    bar?.stop();
    await rejects?.close();
  }
}

const BAR_FORMAT =
  'enqueue {bar} {percentage}% | {accepted} passages ({rate}/s) | {shards} shards | ETA {eta_formatted}{held}';

function payload(p: IngestProgress, started: number) {
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);
  return {
    accepted: p.acceptedRecords,
    rate: (p.acceptedRecords / seconds).toFixed(0),
    shards: p.shards,
    held: p.waitingForBackpressure ? ' | waiting for workers (high-water mark)' : '',
  };
}

/** Polls the collection's status until finalize has run (or failed, or shards are stuck in the dead-letter queue). */
async function follow(connection: RedisClient, prefix: string, collection: string, progress: boolean) {
  const bar =
    progress && process.stderr.isTTY ? new SingleBar({ format: FOLLOW_FORMAT, etaBuffer: 20 }) : undefined;
  for (;;) {
    const status = await readIngestStatus(connection, prefix, collection);
    const s = status.snapshot;
    if (bar && s) {
      if (!bar.isActive) bar.start(s.acceptedRecords, 0, { rate: '0' });
      bar.update(s.doneRecords, { rate: (status.passagesPerSecond ?? 0).toFixed(0) });
    }
    const over: IngestStatus['state'][] = ['finalized', 'stalled-on-failures', 'finalize-failed', 'unknown'];
    if (over.includes(status.state)) {
      bar?.stop();
      console.log(formatStatus(collection, status, prefix));
      if (status.state !== 'finalized') process.exitCode = 2;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const FOLLOW_FORMAT =
  'embed   {bar} {percentage}% | {value}/{total} passages | {rate} passages/s | ETA {eta_formatted}';

/**
 * With --title-field: ` (embedded as "title" + " " + text; 12 with no title: text alone)`, so a field name that matches nothing
 * (every passage without a title) is seen, not silently embedded as text alone.
 */
function describeTitles(titleField: string | undefined, summary: IngestProgress): string {
  if (titleField === undefined) return '';
  const { acceptedRecords: accepted, untitledRecords: untitled } = summary;
  if (untitled === 0) return ` (each embedded as "${titleField}" + " " + text)`;
  if (untitled === accepted) return ` (none has a "${titleField}": each embedded as its text alone)`;
  return ` (embedded as "${titleField}" + " " + text; ${untitled} with no ${titleField}: text alone)`;
}

/** ` (no-separator 2, empty-text 1; see FILE)`, or nothing when every record was accepted. */
function describeRejects(rejects: RejectsWriter, path: string): string {
  if (rejects.total === 0) return '';
  const parts = Object.entries(rejects.counts).map(([kind, n]) => `${kind} ${n}`);
  return ` (${parts.join(', ')}; see ${path})`;
}
