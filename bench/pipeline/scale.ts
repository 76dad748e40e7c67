/**
 * Scale: ingest corpora of growing size through the real pipeline (tiny model by default) and
 * check that time grows linearly (passages/s stays put) and that the producer's and workers' peak
 * memory stays flat. Peak RSS comes from each process at exit (getrusage); the RSS curve over the
 * run from /proc. Sizes are a flag: the default fits a few minutes on 2 cores; the issue's
 * figures are `--sizes 100000,1000000`.
 *
 *   npx tsx bench/pipeline/scale.ts [--sizes 25000,50000,100000] [--runs 1] [--workers 1] [--threads <cores/workers>]
 *        [--shard-size 1000] [--concurrency N] [--high-water-mark 200] [--no-encoder [--dimension 768]] [--finalize-worker]
 *
 * --finalize-worker runs finalize in a process of its own (`--queues finalize`, no model), the workers on
 * `--queues shards`, as infra/k8s deploys them: the workers' peak is then the embedding fleet's, and the
 * finalizer's peak (LanceDB's compaction and index build, which grow with the table) is reported apart.
 */
import { parseArgs } from 'node:util';
import { positiveInt } from '../encoder/protocol.ts';
import { DEVICE_FLAG_HELP, PROCESS_FLAG_OPTIONS, describeDevice, processFlags } from './process-flags.ts';
import { abstractsCorpus } from './corpora.ts';
import { runIngest, type IngestRunResult } from './ingest-run.ts';
import type { MemorySample } from './memory-sampler.ts';
import { tinyModel } from './models.ts';
import {
  CORPUS_DIR,
  ROOT,
  fail,
  fmt,
  logger,
  machineLines,
  median,
  startMachine,
  writeResults,
} from './results.ts';

const NAME = 'pipeline-scale';
/** Within these bounds from the smallest size, the report calls time linear and memory flat. */
const LINEAR_MIN_RATE_RATIO = 0.8;
const FLAT_MAX_MEMORY_RATIO = 1.25;
const log = logger(NAME);

const flags = readFlags();
const model = tinyModel(ROOT);
log(
  `model: ${flags.noEncoder ? `${noEncoderDescription()}, bench/pipeline/plumbing-worker.ts` : model.description}`,
);
const machine = startMachine(log);

interface ScaleRun extends Omit<IngestRunResult, 'memoryCurve'> {
  readonly size: number;
  readonly run: number;
  readonly producerPeakRssMiB: number;
  readonly workerPeakRssMiB: number;
  /** The finalize process's peak (with --finalize-worker; NaN without). */
  readonly finalizerPeakRssMiB: number;
  /** Highest worker RSS sampled while passages were being stored (finalize's index build excluded). */
  readonly workerIngestPeakRssMiB: number;
  /** Worker RSS (largest of the workers) at 25/50/75/100% of the corpus stored: flat, or growing? */
  readonly workerRssByProgressMiB: Record<string, number>;
  readonly memoryCurve: readonly MemorySample[];
}

const runs: ScaleRun[] = [];
for (const size of flags.sizes) {
  const corpus = await abstractsCorpus(ROOT, CORPUS_DIR, size);
  for (let run = 1; run <= flags.runs; run++) {
    log(`size ${fmt(size)}, run ${run}/${flags.runs}: ingesting ${corpus.path} ...`);
    const result = await runIngest({
      root: ROOT,
      corpus,
      modelDir: model.dir,
      workers: flags.workers,
      threads: flags.threads,
      concurrency: flags.concurrency,
      shardSize: flags.shardSize,
      highWaterMark: flags.highWaterMark,
      maxBatchTokens: 16384,
      device: flags.device,
      inline: false,
      timeoutSeconds: flags.timeout,
      finalizeWorker: flags.finalizeWorker,
      log,
      ...(flags.noEncoder
        ? { workerScript: 'bench/pipeline/plumbing-worker.ts', extraEnv: { BENCH_NULL_DIMENSION: String(flags.dimension) } }
        : {}),
    });
    const peak = (role: string) => {
      const peaks = result.processes.filter((p) => p.role.startsWith(role)).map((p) => p.peakRssMiB);
      return peaks.length === 0 ? Number.NaN : Math.max(...peaks);
    };
    const entry: ScaleRun = {
      ...result,
      size,
      run,
      producerPeakRssMiB: peak('producer'),
      workerPeakRssMiB: peak('worker'),
      finalizerPeakRssMiB: peak('finalizer'),
      workerIngestPeakRssMiB: ingestPeak(result.memoryCurve),
      workerRssByProgressMiB: rssByProgress(result.memoryCurve),
    };
    runs.push(entry);
    if (run === flags.runs && size !== flags.sizes.at(-1)) save(false);
    log(
      `size ${fmt(size)}, run ${run}: ${result.ingestSeconds.toFixed(1)} s (${fmt(result.passagesPerSecond)} passages/s), ` +
        `finalize ${result.finalizeSeconds.toFixed(1)} s; peak RSS producer ${fmt(entry.producerPeakRssMiB)} MiB, worker ${fmt(entry.workerPeakRssMiB)} MiB` +
        (flags.finalizeWorker ? `, finalizer ${fmt(entry.finalizerPeakRssMiB)} MiB` : '') +
        `; ${fmt(result.retriedShardAttempts)} shard attempts retried`,
    );
  }
}

save(true);

/** Medians per size and the verdicts, over the sizes done so far. */
function summarize(complete: boolean) {
  const sizes = flags.sizes.filter((size) => runs.some((r) => r.size === size));
  const bySize = sizes.map((size) => {
    const mine = runs.filter((r) => r.size === size);
    const m = (pick: (r: ScaleRun) => number) => median(mine.map(pick));
    return {
      size,
      ingestSeconds: m((r) => r.ingestSeconds),
      passagesPerSecond: m((r) => r.passagesPerSecond),
      microsecondsPerPassage: m((r) => (1e6 * r.ingestSeconds) / r.size),
      /** Worker CPU per passage during the ingest: the linearity check a busy machine distorts least. */
      workerCpuMicrosecondsPerPassage: m(
        (r) =>
          (1e6 *
            r.processes
              .filter((p) => p.role.startsWith('worker'))
              .reduce((sum, p) => sum + (p.ingestCpuSeconds ?? NaN), 0)) /
          r.size,
      ),
      finalizeSeconds: m((r) => r.finalizeSeconds),
      producerSeconds: m((r) => r.producerSeconds),
      producerPeakRssMiB: m((r) => r.producerPeakRssMiB),
      workerPeakRssMiB: m((r) => r.workerPeakRssMiB),
      finalizerPeakRssMiB: m((r) => r.finalizerPeakRssMiB),
      workerIngestPeakRssMiB: m((r) => r.workerIngestPeakRssMiB),
      redisUsedMemoryPeakMiB: m((r) => r.redis.usedMemoryPeakMiB),
      storeMiB: m((r) => r.storeMiB),
      retriedShardAttempts: m((r) => r.retriedShardAttempts),
    };
  });
  const smallest = bySize[0]!;
  const largest = bySize.at(-1)!;
  return {
    /** False while sizes are still to run: the file is rewritten after each size, so a long run interrupted keeps what it measured. */
    complete,
    model: flags.noEncoder ? 'none' : model.name,
    bySize,
    /** Passages/s at the largest size over passages/s at the smallest: 1 = perfectly linear time. */
    rateRatioLargestToSmallest: largest.passagesPerSecond / smallest.passagesPerSecond,
    /** Worker CPU per passage at the largest size over that at the smallest: 1 = linear in CPU. */
    workerCpuPerPassageRatio:
      largest.workerCpuMicrosecondsPerPassage / smallest.workerCpuMicrosecondsPerPassage,
    linear: largest.passagesPerSecond / smallest.passagesPerSecond >= LINEAR_MIN_RATE_RATIO,
    producerPeakRatio: largest.producerPeakRssMiB / smallest.producerPeakRssMiB,
    workerPeakRatio: largest.workerPeakRssMiB / smallest.workerPeakRssMiB,
    /** With --finalize-worker: the finalize process's peak at the largest size over the smallest (NaN without). */
    finalizerPeakRatio: largest.finalizerPeakRssMiB / smallest.finalizerPeakRssMiB,
    finalizeWorker: flags.finalizeWorker,
    /** The same while storing (finalize's index build, which a worker also runs, left out). */
    workerIngestPeakRatio: largest.workerIngestPeakRssMiB / smallest.workerIngestPeakRssMiB,
    producerMemoryFlat: largest.producerPeakRssMiB / smallest.producerPeakRssMiB <= FLAT_MAX_MEMORY_RATIO,
    workerMemoryFlat: largest.workerPeakRssMiB / smallest.workerPeakRssMiB <= FLAT_MAX_MEMORY_RATIO,
    workerIngestMemoryFlat:
      largest.workerIngestPeakRssMiB / smallest.workerIngestPeakRssMiB <= FLAT_MAX_MEMORY_RATIO,
    thresholds: { linearMinRateRatio: LINEAR_MIN_RATE_RATIO, flatMaxMemoryRatio: FLAT_MAX_MEMORY_RATIO },
  };
}

function save(complete: boolean): void {
  const summary = summarize(complete);
  writeResults(
    NAME,
    machine,
    {
      sizes: flags.sizes,
      runs: flags.runs,
      workers: flags.workers,
      threadsPerWorker: flags.threads,
      concurrency: flags.concurrency,
      shardSize: flags.shardSize,
      highWaterMark: flags.highWaterMark,
      encoder: flags.noEncoder ? noEncoderDescription() : model.description,
      finalizeWorker: flags.finalizeWorker,
      corpus:
        'Vaswani abstracts repeated in order with distinct ids (~300 bytes each), TSV, byte-range shards',
    },
    runs,
    summary,
    (loadAverageAtEnd) => render(summary, loadAverageAtEnd),
    log,
    complete,
  );
}

function ingestPeak(curve: readonly MemorySample[]): number {
  const end = curve.findIndex((s) => s.progress >= 1);
  const during = end < 0 ? curve : curve.slice(0, end + 1);
  return Math.max(
    ...during.flatMap((s) =>
      Object.entries(s.rssMiB)
        .filter(([label]) => label.startsWith('worker'))
        .map(([, v]) => v),
    ),
  );
}

function rssByProgress(curve: readonly MemorySample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const at of [0.25, 0.5, 0.75, 1]) {
    const sample = curve.find((s) => s.progress >= at);
    if (sample === undefined) continue;
    const workers = Object.entries(sample.rssMiB).filter(([label]) => label.startsWith('worker'));
    if (workers.length > 0) out[`${at * 100}%`] = Math.max(...workers.map(([, v]) => v));
  }
  return out;
}

function render(summary: ReturnType<typeof summarize>, loadAverageAtEnd: number): string {
  const { bySize } = summary;
  const smallest = bySize[0]!;
  const largest = bySize.at(-1)!;
  const verdict = (ok: boolean, yes: string, no: string) => (ok ? yes : `**${no}**`);
  const lines = [
    `# Scale: ingest time and peak memory vs corpus size${summary.complete ? '' : ' (PARTIAL: sizes still running)'}`,
    '',
    ...machineLines(machine, loadAverageAtEnd),
    `- Encoder: ${flags.noEncoder ? noEncoderDescription() : model.description}; ${flags.workers} worker process(es) x ${flags.threads} thread(s), ${describeDevice(flags.device)}, ${flags.concurrency} shards in flight each`,
    `- Corpus: Vaswani abstracts repeated with distinct ids (~300 bytes each), TSV, byte-range shards of ${flags.shardSize}; producer high-water mark ${flags.highWaterMark} waiting shards`,
    `- Ingest time: producer begins -> last shard stored (finalize listed apart); peak RSS: getrusage at exit of each process; ${flags.runs} run(s) per size${flags.runs > 1 ? ', medians' : ''}`,
    flags.finalizeWorker
      ? '- Finalize runs in a process of its own (`apps/worker --queues finalize`, no model loaded); the workers consume only shards'
      : '- Finalize runs in one of the workers (the default: each worker consumes both queues)',
    '',
    `| passages | ingest s | passages/s | µs per passage | worker CPU µs per passage | finalize s | producer peak RSS MiB | worker peak RSS MiB (${flags.finalizeWorker ? 'whole run' : 'incl. finalize'}) | worker peak RSS while storing MiB | worker RSS at 25/50/75/100% MiB |${flags.finalizeWorker ? ' finalize worker peak RSS MiB |' : ''} Redis peak MiB | store MiB |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|${flags.finalizeWorker ? '---:|' : ''}---:|---:|`,
    ...bySize.map((s) => {
      const run = runs.find((r) => r.size === s.size)!;
      const curve = ['25%', '50%', '75%', '100%']
        .map((k) => fmt(run.workerRssByProgressMiB[k] ?? NaN))
        .join(' / ');
      return (
        `| ${fmt(s.size)} | ${s.ingestSeconds.toFixed(1)} | ${fmt(s.passagesPerSecond)} | ${s.microsecondsPerPassage.toFixed(0)} | ${s.workerCpuMicrosecondsPerPassage.toFixed(0)} | ${s.finalizeSeconds.toFixed(1)} | ` +
        `${fmt(s.producerPeakRssMiB)} | ${fmt(s.workerPeakRssMiB)} | ${fmt(s.workerIngestPeakRssMiB)} | ${curve} |` +
        `${flags.finalizeWorker ? ` ${fmt(s.finalizerPeakRssMiB)} |` : ''} ${fmt(s.redisUsedMemoryPeakMiB, 1)} | ${fmt(s.storeMiB)} |`
      );
    }),
    '',
    `- Time vs size: passages/s at ${fmt(largest.size)} is ${summary.rateRatioLargestToSmallest.toFixed(2)}x that at ${fmt(smallest.size)}: ` +
      verdict(summary.linear, 'linear', `not linear (below ${LINEAR_MIN_RATE_RATIO}x)`) +
      `; worker CPU per passage ${summary.workerCpuPerPassageRatio.toFixed(2)}x`,
    `- Producer peak memory: ${summary.producerPeakRatio.toFixed(2)}x from ${fmt(smallest.size)} to ${fmt(largest.size)}: ` +
      verdict(summary.producerMemoryFlat, 'flat', `grows (above ${FLAT_MAX_MEMORY_RATIO}x)`),
    `- Worker peak memory while storing: ${summary.workerIngestPeakRatio.toFixed(2)}x: ` +
      verdict(summary.workerIngestMemoryFlat, 'flat', `grows (above ${FLAT_MAX_MEMORY_RATIO}x)`) +
      (flags.finalizeWorker
        ? `; whole run (the workers finalize nothing): ${summary.workerPeakRatio.toFixed(2)}x: `
        : `; including finalize (the ANN index is built by a worker): ${summary.workerPeakRatio.toFixed(2)}x: `) +
      verdict(summary.workerMemoryFlat, 'flat', `grows (above ${FLAT_MAX_MEMORY_RATIO}x)`),
    ...(flags.finalizeWorker
      ? [
          `- Finalize process peak: ${bySize.map((s) => `${fmt(s.finalizerPeakRssMiB)} MiB at ${fmt(s.size)}`).join(', ')} ` +
            `(${summary.finalizerPeakRatio.toFixed(2)}x): LanceDB's compaction and IVF-PQ build, which grow with the table`,
        ]
      : []),
    `- Shard attempts that failed and were retried (each a shard embedded and written again): ` +
      bySize.map((s) => `${fmt(s.retriedShardAttempts)} at ${fmt(s.size)}`).join(', ') +
      (bySize.some((s) => s.retriedShardAttempts > 0) ? ' **(look at the workers\' warnings)**' : ''),
  ];
  return lines.join('\n');
}

function noEncoderDescription(): string {
  return `none (fixed ${flags.dimension}-d vectors)`;
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        ...PROCESS_FLAG_OPTIONS,
        sizes: { type: 'string', default: '25000,50000,100000' },
        runs: { type: 'string', default: '1' },
        'shard-size': { type: 'string', default: '1000' },
        'no-encoder': { type: 'boolean', default: false },
        dimension: { type: 'string', default: '768' },
        'finalize-worker': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '7200' },
      },
      strict: true,
    });
    if (values.help) {
      console.log(helpText());
      process.exit(0);
    }
    const sizes = values.sizes.split(',').map((s) => positiveInt('sizes', s.trim()));
    if (sizes.length < 2) throw new Error('--sizes needs at least two sizes to compare, e.g. 100000,1000000');
    return {
      sizes: [...sizes].sort((a, b) => a - b),
      runs: positiveInt('runs', values.runs),
      ...processFlags(values),
      shardSize: positiveInt('shard-size', values['shard-size']),
      noEncoder: values['no-encoder'],
      dimension: positiveInt('dimension', values.dimension),
      finalizeWorker: values['finalize-worker'],
      timeout: positiveInt('timeout', values.timeout),
    };
  } catch (error) {
    return fail(NAME, `${(error as Error).message} (see --help)`);
  }
}

function helpText(): string {
  return `scale: ingest time and peak memory vs corpus size (tiny model)
  --sizes A,B,...       corpus sizes, at least two (25000,50000,100000; the issue's: 100000,1000000)
  --runs N              runs per size; medians (1)
  --workers N           worker processes (1)
  --threads N           onnxruntime intra-op threads per worker (cores / workers)
  --shard-size N        passages per shard job (1000)
  --concurrency N       shards in flight per worker (the worker's default: 2 per inference thread)
  --high-water-mark N   producer backpressure: waiting shards (200)
  --no-encoder          workers with no encoder (plumbing only, 768-d vectors)
  --dimension N         with --no-encoder: the vectors' size (768; 64 makes finalize of millions of rows quick)
${DEVICE_FLAG_HELP}
  --finalize-worker     finalize in a process of its own (--queues finalize), workers on --queues shards
  --timeout S           give up on one ingest after S seconds (7200)`;
}
