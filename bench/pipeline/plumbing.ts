/**
 * Plumbing ceiling: passages/s per worker process through Redis + range reads + Arrow + the
 * embedded store. Aim: >= 20k passages/s per worker process "with the encoder nearly free", far
 * above what one GPU embeds. Three pipeline rows, each against the target:
 *
 * - nano model (32-d, 1 layer, the real bert-base-uncased tokenizer; built by
 *   `make_bench_model.py --shape nano`, skipped when absent): the cheapest real encoder, the closest a
 *   real model comes to "nearly free". On 2 CPU cores it is not free either (encoder only 7-17k
 *   passages/s depending on the host), so there the row is bounded by it.
 * - tiny fixture model (64-d, 2 layers): cheap, but on a 2-core CPU not free (~9k passages/s encoder
 *   only), so this row cannot reach 20k there.
 * - no encoder (a stand-in returning fixed 768-d vectors, bench/pipeline/plumbing-worker.ts): the
 *   plumbing alone, with production-sized rows.
 *
 * Each model row comes with that model's encoder-only rate on the same passages. `--profile` adds
 * one profiled run per pipeline row and reports where the main threads' time goes (file:line).
 *
 *   npx tsx bench/pipeline/plumbing.ts [--runs 3] [--passages 10000] [--workers 1] [--threads <cores/workers>]
 *        [--shard-size 1000] [--concurrency N] [--no-null] [--profile]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInt } from '../encoder/protocol.ts';
import { DEVICE_FLAG_HELP, PROCESS_FLAG_OPTIONS, describeDevice, processFlags } from './process-flags.ts';
import { abstractsCorpus } from './corpora.ts';
import { runEncodeBaseline, type BaselineResult } from './encode-baseline.ts';
import { runIngest, type IngestRunResult, type IngestRunSettings } from './ingest-run.ts';
import { BUILD_NANO_MODEL, nanoModel, tinyModel, type BenchModel } from './models.ts';
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
const MAX_BATCH_TOKENS = 16384;
const log = logger(NAME);

type Variant = 'tiny-model' | 'nano-model' | 'no-encoder';
/** The rows that run a real model, each with that model's encoder-only baseline. */
type ModelVariant = Exclude<Variant, 'no-encoder'>;
const LABEL: Record<Variant, string> = {
  'tiny-model': 'pipeline, tiny model (64-d)',
  'nano-model': 'pipeline, nano model (32-d, cheapest real encoder)',
  'no-encoder': `pipeline, no encoder (fixed ${NULL_DIMENSION}-d vectors)`,
};
const MODEL_NAME: Record<ModelVariant, string> = { 'tiny-model': 'tiny model', 'nano-model': 'nano model' };
/** The row closest to the "encoder nearly free" figure with a real encoder. */
const CHEAPEST_REAL_ENCODER: Variant = 'nano-model';

const flags = readFlags();
const models = benchModels();
const machine = startMachine(log);
const corpus = await abstractsCorpus(ROOT, CORPUS_DIR, flags.passages);
log(`corpus: ${corpus.description} -> ${corpus.path}`);
const modelVariants = Object.keys(models) as ModelVariant[];
const variants: Variant[] = [...modelVariants, ...(flags.null ? (['no-encoder'] as const) : [])];

interface PlumbingRun {
  readonly run: number;
  /** The tiny model's encoder-only baseline (the key predates the nano model). */
  readonly encoderOnly: BaselineResult;
  /** The nano model's, when it is built. */
  readonly nanoEncoderOnly?: BaselineResult;
  readonly pipelines: Partial<Record<Variant, Omit<IngestRunResult, 'memoryCurve'>>>;
}
const baselineOf = (r: PlumbingRun, variant: ModelVariant) =>
  variant === 'tiny-model' ? r.encoderOnly : r.nanoEncoderOnly;

/** The tiny model always; the nano model when built (else its row is skipped, with how to build it). */
function benchModels(): Partial<Record<ModelVariant, BenchModel>> {
  const nano = nanoModel(ROOT, log); // logs how to build it when absent
  const found = { 'tiny-model': tinyModel(ROOT), ...(nano && { 'nano-model': nano }) };
  for (const [variant, model] of Object.entries(found)) log(`model (${variant}): ${model.description}`);
  return found;
}

const settingsFor = (variant: Variant, cpuProfileDir?: string): IngestRunSettings => ({
  root: ROOT,
  corpus,
  // The no-encoder worker loads no model.
  modelDir: (models[variant as ModelVariant] ?? models['tiny-model']!).dir,
  workers: flags.workers,
  threads: flags.threads,
  concurrency: flags.concurrency,
  shardSize: flags.shardSize,
  highWaterMark: flags.highWaterMark,
  maxBatchTokens: MAX_BATCH_TOKENS,
  device: flags.device,
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
  const tag = `run ${run}/${flags.runs}`;
  const encoderOnly = await encodeBaseline(tag, 'tiny-model');
  const nanoEncoderOnly = models['nano-model'] && (await encodeBaseline(tag, 'nano-model'));
  const pipelines: PlumbingRun['pipelines'] = {};
  for (const variant of variants) pipelines[variant] = await timedIngest(tag, variant);
  runs.push({ run, encoderOnly, ...(nanoEncoderOnly && { nanoEncoderOnly }), pipelines });
}

/** One encoder-only baseline of a model row: same processes, threads and batch budget as its pipeline's workers. */
async function encodeBaseline(tag: string, variant: ModelVariant): Promise<BaselineResult> {
  log(`${tag}: encoder only (${MODEL_NAME[variant]}) ...`);
  const result = await runEncodeBaseline({
    root: ROOT,
    corpusPath: corpus.path,
    modelDir: models[variant]!.dir,
    processes: flags.workers,
    threads: flags.threads,
    maxBatchTokens: MAX_BATCH_TOKENS,
    device: flags.device,
  });
  log(`${tag}: encoder only (${MODEL_NAME[variant]}): ${fmt(result.passagesPerSecond)} passages/s`);
  return result;
}

async function timedIngest(tag: string, variant: Variant) {
  log(`${tag}: ${LABEL[variant]} ...`);
  const { memoryCurve: _curve, ...result } = await runIngest(settingsFor(variant));
  log(
    `${tag}: ${LABEL[variant]}: ${result.ingestSeconds.toFixed(2)} s, ` +
      `${fmt(result.passagesPerSecondPerWorker)} passages/s per worker`,
  );
  return result;
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
/** Encoder-only passages/s of a model row's baseline (all processes together). */
const encoderOnlyRate = (variant: ModelVariant) =>
  median(runs.map((r) => baselineOf(r, variant)?.passagesPerSecond ?? NaN));
const encoderOnlyPerCpuSecond = (variant: ModelVariant) =>
  median(runs.map((r) => baselineOf(r, variant)).map((b) => (b ? b.passages / b.cpuSeconds : NaN)));
/** `value()` when the row ran, else undefined (left out of the JSON). */
const ifRan = <T>(variant: Variant, value: () => T): T | undefined =>
  variants.includes(variant) ? value() : undefined;
const passes = (variant: Variant) => ifRan(variant, () => rate(variant) >= TARGET_PER_WORKER);
const summary = {
  passages: flags.passages,
  workers: flags.workers,
  /** The model of each model row. */
  models: Object.fromEntries(modelVariants.map((v) => [v, models[v]!.description])),
  /** The row closest to the "encoder nearly free" figure; undefined when the nano model is not built. */
  nearlyFreeEncoderRow: ifRan(CHEAPEST_REAL_ENCODER, () => CHEAPEST_REAL_ENCODER),
  /** Encoder only, tiny model (the encoderOnly* keys predate the nano model). */
  encoderOnlyPassagesPerSecond: encoderOnlyRate('tiny-model'),
  encoderOnlyPassagesPerSecondPerProcess: encoderOnlyRate('tiny-model') / flags.workers,
  nanoEncoderOnlyPassagesPerSecond: ifRan('nano-model', () => encoderOnlyRate('nano-model')),
  nanoEncoderOnlyPassagesPerSecondPerProcess: ifRan(
    'nano-model',
    () => encoderOnlyRate('nano-model') / flags.workers,
  ),
  tinyModelPassagesPerSecondPerWorker: rate('tiny-model'),
  nanoModelPassagesPerSecondPerWorker: ifRan('nano-model', () => rate('nano-model')),
  noEncoderPassagesPerSecondPerWorker: ifRan('no-encoder', () => rate('no-encoder')),
  /** Passages per worker CPU-second during the ingest (load-robust ceiling per worker core). */
  tinyModelPassagesPerWorkerCpuSecond: perWorkerCpuSecond('tiny-model'),
  nanoModelPassagesPerWorkerCpuSecond: ifRan('nano-model', () => perWorkerCpuSecond('nano-model')),
  noEncoderPassagesPerWorkerCpuSecond: ifRan('no-encoder', () => perWorkerCpuSecond('no-encoder')),
  encoderOnlyPassagesPerCpuSecond: encoderOnlyPerCpuSecond('tiny-model'),
  nanoEncoderOnlyPassagesPerCpuSecond: ifRan('nano-model', () => encoderOnlyPerCpuSecond('nano-model')),
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
  passNanoModel: passes('nano-model'),
  passNoEncoder: passes('no-encoder'),
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
  const encoderOnlyRow = (variant: ModelVariant) =>
    `| encoder only, ${MODEL_NAME[variant]} (no queue, no store) | ${fmt(encoderOnlyRate(variant) / flags.workers)} | ` +
    `${runs.map((r) => baselineOf(r, variant)!.seconds.toFixed(1)).join(' / ')} | | ${fmt(encoderOnlyPerCpuSecond(variant))} | |`;
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
    `- Layout: ${flags.workers} worker process(es) x ${flags.threads} onnxruntime thread(s), ${describeDevice(flags.device)}; private redis-server; LanceDB in a temp folder; ${flags.runs} runs, interleaved; medians`,
    `- Timed from the producer beginning the ingest to the last shard stored and acknowledged (finalize excluded)`,
    '',
    '| what | passages/s per worker (median) | seconds per run | vs 20k/s target | passages per worker CPU-second | CPU s per 1k passages: workers / producer (incl. its start-up) / redis |',
    '|---|---:|---:|---:|---:|---:|',
    ...modelVariants.map(encoderOnlyRow),
    ...variants.map(row),
    '',
    ...variants.map(verdictLine),
    '',
    "- Passages per worker CPU-second: passages over the worker processes' CPU time during the ingest (all threads, LanceDB's and onnxruntime's included): " +
      'what one worker would do with a core to itself, and much less distorted by a busy machine than passages/s.',
    ...notes(),
  ];
  for (const p of profiles)
    lines.push('', ...renderProfile(p.summary, `${LABEL[p.variant]}: ${p.role}, ${p.thread}`));
  return lines.join('\n');
}

function verdictLine(variant: Variant): string {
  const r = rate(variant);
  const mark = variant === CHEAPEST_REAL_ENCODER ? ' <- the cheapest real encoder' : '';
  return `- Target: ${LABEL[variant]}: ${fmt(r)} passages/s per worker (target >= ${fmt(TARGET_PER_WORKER)}) ${passFail(r >= TARGET_PER_WORKER)}${mark}`;
}

function notes(): string[] {
  const perProcess = (variant: ModelVariant) => fmt(encoderOnlyRate(variant) / flags.workers);
  const boundedBy = (variant: ModelVariant) =>
    encoderOnlyRate(variant) / flags.workers < TARGET_PER_WORKER
      ? `, below the ${fmt(TARGET_PER_WORKER)} target on its own: on this CPU the row is bounded by the model, not the plumbing`
      : '';
  return [
    models['nano-model']
      ? `- The nano model is the cheapest real encoder (bert-base-uncased tokenizer, 32-d rows): encoder only it embeds ${perProcess('nano-model')} passages/s per process${boundedBy('nano-model')}.`
      : `- The nano model is not built, so there is no cheapest-real-encoder row: build it with \`${BUILD_NANO_MODEL}\`.`,
    `- The tiny model: encoder only it embeds ${perProcess('tiny-model')} passages/s per process${boundedBy('tiny-model')}.`,
    flags.null
      ? `- The no-encoder row is the plumbing alone, with no tokenizer or model (${fmt(rate('no-encoder'))} passages/s per worker, ${NULL_DIMENSION}-d rows as in production).`
      : '- Run without --no-null to measure the plumbing alone (no encoder).',
  ];
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
pipeline rows, each with its verdict (a model row also gets that model's encoder-only rate):
  nano model (32-d, cheapest real encoder); skipped unless built with
    ${BUILD_NANO_MODEL}
  tiny fixture model (64-d): cheap, but not free on a CPU
  no encoder (fixed ${NULL_DIMENSION}-d vectors): the plumbing alone
options:
  --runs N              runs of each row, interleaved; medians (3)
  --passages N          corpus size, Vaswani abstracts with distinct ids (10000)
  --workers N           worker processes; rates are per process (1)
  --threads N           onnxruntime intra-op threads per worker (cores / workers)
  --shard-size N        passages per shard job (1000, the producer's default)
  --concurrency N       shards in flight per worker (the worker's default: 2 per inference thread)
  --high-water-mark N   producer backpressure (200)
  --inline              passages inside the jobs instead of byte ranges
${DEVICE_FLAG_HELP}
  --no-null             skip the no-encoder row
  --profile             one more run per row under node --cpu-prof; report where the time goes
  --timeout S           give up on one pipeline run after S seconds (3600)`;
}
