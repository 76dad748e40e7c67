/**
 * autocannon against POST /v1/search: requests/s, p50 and p99 at each concurrency, with micro-batching
 * on (the server's defaults) and off (EMBEDLINE_API_BATCH_MAX_TEXTS=1: one request per inference call,
 * i.e. one-at-a-time encoding), and whether batching beats one-at-a-time by >= 2x at the highest
 * concurrency. The query cache is off, so every request pays for its query encoding: that is the cost
 * measured. Both servers run side by side (own processes) and the runs alternate between them, so
 * that a change in machine load hits both modes alike.
 *
 *   npx tsx bench/api/run.ts [--passages 100000] [--model <dir>] [--index-max-tokens N] [--concurrency 1,16,64]
 *        [--duration 10] [--warmup 3] [--threads <cores>] [--batch-wait-ms 2] [--batch-max-texts 64] [--top-k 10]
 *        [--name api]
 *
 * The index (--passages, embedded with --model, the tiny fixture model by default) is built once and
 * cached under .cache/bench-api/; a quick check: `--passages 5000 --duration 3`. Writes
 * bench/results/<name>.json and bench/out/<name>.md.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { PrivateRedis } from '../../test/support/private-redis.ts';
import { positiveInt } from '../encoder/protocol.ts';
import { overheadModel, tinyModel, type BenchModel } from '../pipeline/models.ts';
import {
  ROOT,
  fail,
  fmt,
  logger,
  machineLines,
  passFail,
  startMachine,
  writeResults,
} from '../pipeline/results.ts';
import { COLLECTION, benchIndex } from './build-index.ts';
import { ApiServer, type ServerTotals } from './api-server.ts';
import { queryTexts } from './texts.ts';

const READ_KEY = 'bench-read-key-0123456789abcdef';
/** The issue's bar: micro-batching beats one-at-a-time encoding by this factor at the top concurrency. */
const REQUIRED_SPEEDUP = 2;
const QUERY_POOL = 2000;
const log = logger('api');

type Mode = 'batched' | 'one-at-a-time';

interface ApiRun {
  readonly mode: Mode;
  readonly concurrency: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly mean: number;
  };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Queries per inference call in this run, from the server's embedline_api_encoder_batch_texts histogram. */
  readonly meanTextsPerInferenceCall: number;
  /** Mean time of one inference call, and per query encoded (the call's time shared by its queries). */
  readonly meanInferenceCallMs: number;
  readonly inferenceMsPerQuery: number;
  /** Mean time of one store search (one per query). */
  readonly meanStoreSearchMs: number;
  /** Memory-index searches: query vectors per call and mean time per call (NaN when the store searched). */
  readonly meanQueriesPerMemorySearch: number;
  readonly meanMemorySearchMs: number;
}

const flags = readFlags();
const NAME = flags.name;
const model = pickModel(flags.model);
log(`query encoder (the cost measured) and index model: ${model.description}`);
const machine = startMachine(log);
const index = await benchIndex(ROOT, model, flags.passages, flags.threads, flags.indexMaxTokens, log);
const queries = queryTexts(ROOT, QUERY_POOL);

const redis = await PrivateRedis.start();
const servers = new Map<Mode, ApiServer>();
const runs: ApiRun[] = [];
try {
  const common = {
    modelDir: model.dir,
    lancedbUri: index.lancedbUri,
    collection: COLLECTION,
    redisUrl: redis.url,
    readKey: READ_KEY,
    intraOpThreads: flags.threads,
    memoryIndexMiB: flags.memoryIndexMib,
  };
  servers.set(
    'batched',
    await ApiServer.start(ROOT, {
      ...common,
      batchWaitMs: flags.batchWaitMs,
      batchMaxTexts: flags.batchMaxTexts,
    }),
  );
  servers.set('one-at-a-time', await ApiServer.start(ROOT, { ...common, batchWaitMs: 0, batchMaxTexts: 1 }));
  for (const [mode, server] of servers) {
    log(`${mode}: warm-up, ${flags.warmup} s at concurrency 16`);
    await load(server.url, 16, flags.warmup, queries, flags.topK);
    await server.drain(READ_KEY);
    if (flags.memoryIndexMib > 0) log(`${mode}: memory index holds ${await server.waitResident(READ_KEY)} points`);
  }
  for (const concurrency of flags.concurrency) {
    for (const [mode, server] of servers) {
      log(`${mode}: concurrency ${concurrency}, ${flags.duration} s ...`);
      const run = await measure(mode, server, concurrency);
      runs.push(run);
      log(
        `${mode} c=${concurrency}: ${fmt(run.requestsPerSecond, 1)} req/s, p50 ${fmt(run.latencyMs.p50, 1)} ms, ` +
          `p99 ${fmt(run.latencyMs.p99, 1)} ms, ${fmt(run.meanTextsPerInferenceCall, 1)} queries per inference call ` +
          `(${fmt(run.meanInferenceCallMs, 1)} ms each), store search ${fmt(run.meanStoreSearchMs, 1)} ms, ` +
          `${fmt(run.meanQueriesPerMemorySearch, 1)} queries per memory search (${fmt(run.meanMemorySearchMs, 2)} ms each)`,
      );
    }
  }
} finally {
  for (const server of servers.values()) await server.stop();
  await redis.dispose();
}

const top = Math.max(...flags.concurrency);
const speedups = flags.concurrency.map((concurrency) => {
  const rate = (mode: Mode) =>
    runs.find((r) => r.mode === mode && r.concurrency === concurrency)?.requestsPerSecond ?? NaN;
  return {
    concurrency,
    batched: rate('batched'),
    oneAtATime: rate('one-at-a-time'),
    speedup: rate('batched') / rate('one-at-a-time'),
  };
});
const topSpeedup = speedups.find((s) => s.concurrency === top)!.speedup;
const failed = runs.filter((r) => r.non2xx > 0 || r.errors > 0);
const summary = {
  model: model.description,
  passages: index.passages,
  dimension: index.dimension,
  speedups,
  topConcurrency: top,
  requiredSpeedup: REQUIRED_SPEEDUP,
  meetsRequiredSpeedup: topSpeedup >= REQUIRED_SPEEDUP,
  allRequestsSucceeded: failed.length === 0,
};
writeResults(
  NAME,
  machine,
  {
    ...flags,
    modelDir: model.dir,
    collection: COLLECTION,
    queryPool: queries.length,
    queryCache: 'off',
    indexReused: index.reused,
    indexBuildSeconds: index.buildSeconds,
    oneAtATime: { batchWaitMs: 0, batchMaxTexts: 1 },
  },
  runs,
  summary,
  (loadAtEnd) => report(loadAtEnd),
  log,
);
if (failed.length > 0)
  fail(NAME, `${failed.length} runs had failed requests (non-2xx or errors): see the table`);

function report(loadAverageAtEnd: number): string {
  const rows = runs.map(
    (r) =>
      `| ${r.mode} | ${r.concurrency} | ${fmt(r.requestsPerSecond, 1)} | ${fmt(r.latencyMs.p50, 1)} | ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.meanTextsPerInferenceCall, 1)} | ${fmt(r.meanInferenceCallMs, 1)} | ${fmt(r.inferenceMsPerQuery, 1)} | ${fmt(r.meanStoreSearchMs, 1)} | ${fmt(r.meanQueriesPerMemorySearch, 1)} | ${fmt(r.meanMemorySearchMs, 2)} | ${fmt(r.requests)} | ${r.non2xx + r.errors} |`,
  );
  return [
    `## API search benchmark (autocannon, POST /v1/search, top_k ${flags.topK})`,
    '',
    ...machineLines(machine, loadAverageAtEnd),
    `- Query encoder and index model: ${model.description}`,
    `- Index: ${fmt(index.passages)} passages, ${index.dimension}-d, embedded LanceDB (IVF-PQ above 10k rows)${index.maxTokens === undefined ? '' : `, passages cut to ${index.maxTokens} tokens when indexed`}${index.reused ? ', reused from .cache/bench-api' : `, built in ${index.buildSeconds} s`}`,
    `- ${flags.duration} s per run after a ${flags.warmup} s warm-up; ${queries.length} distinct queries in turn; query cache off; ` +
      `batched = wait ${flags.batchWaitMs} ms / max ${flags.batchMaxTexts} texts, one-at-a-time = max 1 text per inference call`,
    flags.memoryIndexMib > 0
      ? `- Memory index on (${flags.memoryIndexMib} MiB): the finalized collection is searched in memory, a micro-batch per call (one query per call one-at-a-time)`
      : '- Memory index off: every query is searched in LanceDB',
    '',
    '| mode | concurrency | req/s | p50 ms | p99 ms | queries per inference call | ms per inference call | inference ms per query | ms per store search | queries per memory search | ms per memory search | requests | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '| concurrency | batched req/s | one-at-a-time req/s | speedup |',
    '| ---: | ---: | ---: | ---: |',
    ...speedups.map(
      (s) => `| ${s.concurrency} | ${fmt(s.batched, 1)} | ${fmt(s.oneAtATime, 1)} | ${fmt(s.speedup, 2)}x |`,
    ),
    '',
    `Micro-batching vs one-at-a-time at concurrency ${top}: ${fmt(topSpeedup, 2)}x (needs >= ${REQUIRED_SPEEDUP}x): ${passFail(summary.meetsRequiredSpeedup)}`,
  ].join('\n');
}

async function measure(mode: Mode, server: ApiServer, concurrency: number): Promise<ApiRun> {
  const before = await server.totals();
  const result = await load(server.url, concurrency, flags.duration, queries, flags.topK);
  await server.drain(READ_KEY);
  const after = await server.totals();
  const delta = (key: keyof ServerTotals) => after[key] - before[key];
  return {
    mode,
    concurrency,
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    meanTextsPerInferenceCall: delta('inferenceTexts') / delta('inferenceCalls'),
    meanInferenceCallMs: (1000 * delta('inferenceSeconds')) / delta('inferenceCalls'),
    inferenceMsPerQuery: (1000 * delta('inferenceSeconds')) / delta('inferenceTexts'),
    meanStoreSearchMs: (1000 * delta('storeSeconds')) / delta('storeSearches'),
    meanQueriesPerMemorySearch: delta('memoryQueries') / delta('memorySearches'),
    meanMemorySearchMs: (1000 * delta('memorySeconds')) / delta('memorySearches'),
  };
}

/** One autocannon run: `concurrency` connections, each sending the next query of the pool when answered. */
async function load(
  url: string,
  concurrency: number,
  seconds: number,
  pool: readonly string[],
  topK: number,
): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url,
    connections: concurrency,
    pipelining: 1,
    duration: seconds,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/v1/search',
        headers: { 'content-type': 'application/json', 'x-api-key': READ_KEY },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ query: pool[next++ % pool.length], top_k: topK }),
        }),
      },
    ],
  });
}

function pickModel(explicit: string | undefined): BenchModel {
  if (explicit === undefined) return tinyModel(ROOT);
  try {
    return overheadModel(ROOT, explicit, log);
  } catch (error) {
    return fail('api', (error as Error).message);
  }
}

function nonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!(n >= 0)) throw new Error(`--${name} must be a number >= 0, got "${value}"`);
  return n;
}

function readFlags() {
  const { values } = parseArgs({
    options: {
      passages: { type: 'string', default: '100000' },
      model: { type: 'string' },
      concurrency: { type: 'string', default: '1,16,64' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      threads: { type: 'string', default: String(availableParallelism()) },
      'batch-wait-ms': { type: 'string', default: '0' },
      'batch-max-texts': { type: 'string', default: '64' },
      'top-k': { type: 'string', default: '10' },
      'index-max-tokens': { type: 'string' },
      'memory-index-mib': { type: 'string', default: '1024' },
      name: { type: 'string', default: 'api' },
    },
  });
  try {
    const concurrency = values.concurrency.split(',').map((c) => positiveInt('concurrency', c));
    return {
      passages: positiveInt('passages', values.passages),
      model: values.model,
      concurrency,
      duration: positiveInt('duration', values.duration),
      warmup: positiveInt('warmup', values.warmup),
      threads: positiveInt('threads', values.threads),
      batchWaitMs: nonNegative('batch-wait-ms', values['batch-wait-ms']),
      batchMaxTexts: positiveInt('batch-max-texts', values['batch-max-texts']),
      topK: positiveInt('top-k', values['top-k']),
      memoryIndexMib: nonNegative('memory-index-mib', values['memory-index-mib']),
      name: values.name,
      indexMaxTokens:
        values['index-max-tokens'] === undefined
          ? undefined
          : positiveInt('index-max-tokens', values['index-max-tokens']),
    };
  } catch (error) {
    return fail('api', (error as Error).message);
  }
}
