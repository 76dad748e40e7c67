/**
 * Plumbing ceiling: passages/s per worker process through Redis + range reads + Arrow + the
 * embedded store, with the tiny fixture model (64-d), next to (a) the tiny model's encoder-only
 * rate on the same passages and (b) the same pipeline with no encoder at all (a stand-in returning
 * fixed 768-d vectors, bench/pipeline/plumbing-worker.ts): the pure plumbing ceiling. Aim: >= 20k
 * passages/s per worker process, far above what one GPU embeds. `--profile` adds one profiled run
 * per pipeline variant and reports where the main threads' time goes (file:line).
 *
 *   npx tsx bench/pipeline/plumbing.ts [--runs 3] [--passages 10000] [--workers 1] [--threads <cores/workers>]
 *        [--shard-size 1000] [--concurrency 2] [--no-null] [--profile]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInt } from '../encoder/protocol.ts';
import { PROCESS_FLAG_OPTIONS, processFlags } from './process-flags.ts';
import { abstractsCorpus } from './corpora.ts';
import { runEncodeBaseline, type BaselineResult } from './encode-baseline.ts';
import { runIngest, type IngestRunResult, type IngestRunSettings } from './ingest-run.ts';
import { tinyModel } from './models.ts';
import { renderProfile, summarizeProfile, type ProfileSummary } from './profile-summary.ts';
import {
  CORPUS_DIR,
  ROOT,
  fail,
  fmt,
  logger,
  machineLines,
  median,
  passFail,
  startMachine,
  writeResults,
} from './results.ts';

const NAME = 'pipeline-plumbing';
const TARGET_PER_WORKER = 20_000;
const NULL_DIMENSION = 768;
const log = logger(NAME);

type Variant = 'tiny-model' | 'no-encoder';
const LABEL: Record<Variant, string> = {
  'tiny-model': 'pipeline, tiny model (64-d)',
  'no-encoder': `pipeline, no encoder (fixed ${NULL_DIMENSION}-d vectors)`,
};

const flags = readFlags();
const model = tinyModel(ROOT);
log(`model: ${model.description}`);
const machine = startMachine(log);
const corpus = await abstractsCorpus(ROOT, CORPUS_DIR, flags.passages);
log(`corpus: ${corpus.description} -> ${corpus.path}`);
const variants: Variant[] = flags.null ? ['tiny-model', 'no-encoder'] : ['tiny-model'];

interface PlumbingRun {
  readonly run: number;
  readonly encoderOnly: BaselineResult;
  readonly pipelines: Partial<Record<Variant, Omit<IngestRunResult, 'memoryCurve'>>>;
}

const settingsFor = (variant: Variant, cpuProfileDir?: string): IngestRunSettings => ({
  root: ROOT,
  corpus,
  modelDir: model.dir,
  workers: flags.workers,
  threads: flags.threads,
  concurrency: flags.concurrency,
  shardSize: flags.shardSize,
  highWaterMark: flags.highWaterMark,
  maxBatchTokens: 16384,
  inline: flags.inline,
  timeoutSeconds: flags.timeout,
  cpuProfileDir,
  log,
  ...(variant === 'no-encoder'
    ? {
        workerScript: 'bench/pipeline/plumbing-worker.ts',
        extraEnv: { BENCH_NULL_DIMENSION: String(NULL_DIMENSION) },
      }
    : {}),
});

const runs: PlumbingRun[] = [];
for (let run = 1; run <= flags.runs; run++) {
  log(`run ${run}/${flags.runs}: encoder only (tiny model) ...`);
  const encoderOnly = await runEncodeBaseline({
    root: ROOT,
    corpusPath: corpus.path,
    modelDir: model.dir,
    processes: flags.workers,
    threads: flags.threads,
    maxBatchTokens: 16384,
  });
  log(`run ${run}/${flags.runs}: encoder only: ${fmt(encoderOnly.passagesPerSecond)} passages/s`);
  const pipelines: PlumbingRun['pipelines'] = {};
  for (const variant of variants) {
    log(`run ${run}/${flags.runs}: ${LABEL[variant]} ...`);
    const { memoryCurve: _curve, ...result } = await runIngest(settingsFor(variant));
    pipelines[variant] = result;
    log(
      `run ${run}/${flags.runs}: ${LABEL[variant]}: ${result.ingestSeconds.toFixed(2)} s, ` +
        `${fmt(result.passagesPerSecondPerWorker)} passages/s per worker`,
    );
  }
  runs.push({ run, encoderOnly, pipelines });
}

const profiles: { variant: Variant; role: string; thread: string; summary: ProfileSummary }[] = [];
if (flags.profile) {
  const dir = join(ROOT, 'bench/out/pipeline/profiles');
  for (const variant of variants) {
    const folder = join(dir, variant);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    log(`profiled run (not timed): ${LABEL[variant]}, profiles in ${folder}`);
    const result = await runIngest(settingsFor(variant, folder));
    profiles.push(...summarizeRun(variant, result.cpuProfiles ?? {}));
  }
}

/**
 * Per process: the main thread, timed over the work (worker: embedShard; producer: ingestCorpus),
 * and the busiest other thread (the encoder's inference thread; tsx's loader thread is near idle).
 * Files are CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile.
 */
function summarizeRun(variant: Variant, files: Record<string, string>) {
  const found: { variant: Variant; role: string; thread: string; summary: ProfileSummary }[] = [];
  const busy = (s: ProfileSummary) => s.wallMs - (s.areas.find((a) => a.area === '(idle)')?.selfMs ?? 0);
  for (const [name, path] of Object.entries(files)) {
    const role = name.split('/')[0]!;
    const threadId = /\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(name)?.[1];
    if (threadId === '0') {
      const anchor = role === 'producer' ? 'ingestCorpus' : 'embedShard';
      found.push({ variant, role, thread: 'main thread', summary: summarizeProfile(path, { anchor }) });
      continue;
    }
    const summary = summarizeProfile(path);
    const other = found.find((p) => p.role === role && p.thread !== 'main thread');
    if (other === undefined) found.push({ variant, role, thread: `thread ${threadId}`, summary });
    else if (busy(summary) > busy(other.summary))
      Object.assign(other, { thread: `thread ${threadId}`, summary });
  }
  return found.filter((p) => p.thread === 'main thread' || busy(p.summary) > 0.05 * p.summary.wallMs);
}

const rate = (variant: Variant) =>
  median(runs.map((r) => r.pipelines[variant]?.passagesPerSecondPerWorker ?? NaN));
const cpuPerThousand = (variant: Variant, role: string) =>
  median(
    runs.map((r) => {
      const p = r.pipelines[variant];
      if (p === undefined) return NaN;
      const cpu =
        role === 'redis'
          ? p.redis.cpuSeconds
          : p.processes
              .filter((x) => x.role.startsWith(role))
              .reduce((s, x) => s + ((role === 'worker' ? x.ingestCpuSeconds : x.cpuSeconds) ?? NaN), 0);
      return (1000 * cpu) / p.passages;
    }),
  );
/** Passages per CPU-second of the worker processes during the ingest: the ceiling of one worker with a core to itself. */
const perWorkerCpuSecond = (variant: Variant) =>
  median(
    runs.map((r) => {
      const p = r.pipelines[variant];
      if (p === undefined) return NaN;
      const cpu = p.processes
        .filter((x) => x.role.startsWith('worker'))
        .reduce((s, x) => s + (x.ingestCpuSeconds ?? NaN), 0);
      return p.passages / cpu;
    }),
  );
const encoderOnlyRate = median(runs.map((r) => r.encoderOnly.passagesPerSecond));
const summary = {
  passages: flags.passages,
  workers: flags.workers,
  encoderOnlyPassagesPerSecond: encoderOnlyRate,
  encoderOnlyPassagesPerSecondPerProcess: encoderOnlyRate / flags.workers,
  tinyModelPassagesPerSecondPerWorker: rate('tiny-model'),
  noEncoderPassagesPerSecondPerWorker: flags.null ? rate('no-encoder') : undefined,
  /** Passages per worker CPU-second during the ingest (load-robust ceiling per worker core). */
  tinyModelPassagesPerWorkerCpuSecond: perWorkerCpuSecond('tiny-model'),
  noEncoderPassagesPerWorkerCpuSecond: flags.null ? perWorkerCpuSecond('no-encoder') : undefined,
  encoderOnlyPassagesPerCpuSecond: median(runs.map((r) => r.encoderOnly.passages / r.encoderOnly.cpuSeconds)),
  /** CPU seconds per 1,000 passages, by process, for each variant. */
  cpuSecondsPer1000: Object.fromEntries(
    variants.map((v) => [
      v,
      {
        workers: cpuPerThousand(v, 'worker'),
        producer: cpuPerThousand(v, 'producer'),
        redis: cpuPerThousand(v, 'redis'),
      },
    ]),
  ),
  targetPerWorker: TARGET_PER_WORKER,
  passTinyModel: rate('tiny-model') >= TARGET_PER_WORKER,
  passNoEncoder: flags.null ? rate('no-encoder') >= TARGET_PER_WORKER : undefined,
  profiles: profiles.map((p) => ({ variant: p.variant, role: p.role, thread: p.thread, ...p.summary })),
};

writeResults(
  NAME,
  machine,
  {
    workers: flags.workers,
    threadsPerWorker: flags.threads,
    concurrency: flags.concurrency,
    shardSize: flags.shardSize,
    highWaterMark: flags.highWaterMark,
    inline: flags.inline,
    runs: flags.runs,
    corpus: corpus.description,
    nullDimension: NULL_DIMENSION,
  },
  runs,
  summary,
  render,
  log,
);

function render(loadAverageAtEnd: number): string {
  const row = (variant: Variant) => {
    const r = rate(variant);
    const c = summary.cpuSecondsPer1000[variant]!;
    return (
      `| ${LABEL[variant]} | ${fmt(r)} | ${runs.map((x) => x.pipelines[variant]!.ingestSeconds.toFixed(1)).join(' / ')} | ` +
      `${(r / TARGET_PER_WORKER).toFixed(2)}x ${passFail(r >= TARGET_PER_WORKER)} | ${fmt(perWorkerCpuSecond(variant))} | ${c.workers.toFixed(2)} / ${c.producer.toFixed(2)} / ${c.redis.toFixed(2)} |`
    );
  };
  const lines = [
    '# Plumbing ceiling: passages/s per worker process through Redis + Arrow + store',
    '',
    ...machineLines(machine, loadAverageAtEnd),
    `- Corpus: ${corpus.description}; TSV, shards of ${flags.shardSize} as byte ranges${flags.inline ? ' (inline)' : ''}, ${flags.concurrency} in flight per worker`,
    `- Layout: ${flags.workers} worker process(es) x ${flags.threads} onnxruntime thread(s); private redis-server; LanceDB in a temp folder; ${flags.runs} runs, interleaved; medians`,
    `- Timed from the producer beginning the ingest to the last shard stored and acknowledged (finalize excluded)`,
    '',
    '| what | passages/s per worker (median) | seconds per run | vs 20k/s target | passages per worker CPU-second | CPU s per 1k passages: workers / producer (incl. its start-up) / redis |',
    '|---|---:|---:|---:|---:|---:|',
    `| encoder only, tiny model (no queue, no store) | ${fmt(encoderOnlyRate / flags.workers)} | ${runs.map((r) => r.encoderOnly.seconds.toFixed(1)).join(' / ')} | | ${fmt(summary.encoderOnlyPassagesPerCpuSecond)} | |`,
    ...variants.map(row),
    '',
    "- Passages per worker CPU-second: passages over the worker processes' CPU time during the ingest (all threads, LanceDB's and onnxruntime's included): " +
      'what one worker would do with a core to itself, and much less distorted by a busy machine than passages/s.',
    `- The tiny model is not free on this CPU: encoder only it embeds ${fmt(encoderOnlyRate / flags.workers)} passages/s per process, so the tiny-model row is bounded by it; ` +
      (flags.null
        ? `the no-encoder row is the plumbing itself (${fmt(rate('no-encoder'))} passages/s per worker, 768-d rows as in production).`
        : 'run without --no-null to measure the plumbing alone.'),
  ];
  for (const p of profiles)
    lines.push('', ...renderProfile(p.summary, `${LABEL[p.variant]}: ${p.role}, ${p.thread}`));
  return lines.join('\n');
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        ...PROCESS_FLAG_OPTIONS,
        runs: { type: 'string', default: '3' },
        passages: { type: 'string', default: '10000' },
        'shard-size': { type: 'string', default: '1000' },
        inline: { type: 'boolean', default: false },
        'no-null': { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '3600' },
      },
      strict: true,
    });
    if (values.help) {
      console.log(helpText());
      process.exit(0);
    }
    return {
      runs: positiveInt('runs', values.runs),
      passages: positiveInt('passages', values.passages),
      ...processFlags(values),
      shardSize: positiveInt('shard-size', values['shard-size']),
      inline: values.inline,
      null: !values['no-null'],
      profile: values.profile,
      timeout: positiveInt('timeout', values.timeout),
    };
  } catch (error) {
    return fail(NAME, `${(error as Error).message} (see --help)`);
  }
}

function helpText(): string {
  return `plumbing ceiling: passages/s per worker process through Redis + Arrow + store (aim >= ${TARGET_PER_WORKER})
  --runs N              runs of each row, interleaved; medians (3)
  --passages N          corpus size, Vaswani abstracts with distinct ids (10000)
  --workers N           worker processes; rates are per process (1)
  --threads N           onnxruntime intra-op threads per worker (cores / workers)
  --shard-size N        passages per shard job (1000, the producer's default)
  --concurrency N       shards in flight per worker (2)
  --high-water-mark N   producer backpressure (200)
  --inline              passages inside the jobs instead of byte ranges
  --no-null             skip the no-encoder row
  --profile             one more run per row under node --cpu-prof; report where the time goes
  --timeout S           give up on one pipeline run after S seconds (3600)`;
}
