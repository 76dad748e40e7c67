/**
 * Pipeline overhead: end-to-end passages/s (producer -> BullMQ on a private Redis -> N worker
 * processes -> Arrow -> embedded LanceDB) against encoder-only passages/s with the same model,
 * encoder settings, process/thread layout and passages, on this machine. Target: ratio >= 0.9.
 * Runs interleave (encoder-only, pipeline, encoder-only, pipeline, ...) so drifting machine load
 * hits both; the table shows medians. See bench/pipeline/README.md.
 *
 *   npx tsx bench/pipeline/overhead.ts [--runs 3] [--passages N] [--workers 1] [--threads <cores/workers>]
 *        [--shard-size N] [--concurrency N] [--max-batch-tokens 16384] [--model DIR] [--inline]
 *        [--provider cpu|cuda] [--variant fp32] [--inference-threads 1] [--tokenizer-threads 0]
 */
import { parseArgs } from 'node:util';
import { positiveInt } from '../encoder/protocol.ts';
import { DEVICE_FLAG_HELP, PROCESS_FLAG_OPTIONS, describeDevice, processFlags } from './process-flags.ts';
import { marcoLikeCorpus } from './corpora.ts';
import { runEncodeBaseline, type BaselineResult } from './encode-baseline.ts';
import { runIngest, type IngestRunResult } from './ingest-run.ts';
import { steadyText } from './steady-rate.ts';
import { overheadModel } from './models.ts';
import { encoderOnlyComputedTokens, pipelineComputedTokens } from './padding.ts';
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

const NAME = 'pipeline-overhead';
const TARGET = 0.9;
const log = logger(NAME);

const flags = readFlags();
const model = overheadModel(ROOT, flags.model, log);
const tiny = model.name === 'tiny-model';
// On 2 CPU cores the DistilBERT-base model embeds a few passages/s, the tiny one ~1k: same order of run time.
const passages = flags.passages ?? (tiny ? 20_000 : 480);
// Shards pad within themselves (padding.ts): with shards much smaller than the encoder's 1024-text sort
// window the pipeline computes far more [PAD] tokens than one encode(all) (shards of 40: 2x), and the
// ratio measures padding, not plumbing. 240 keeps the default run short on 2 cores.
const shardSize = flags.shardSize ?? (tiny ? 1000 : 240);
log(`model: ${model.description}`);
const machine = startMachine(log);
const corpus = await marcoLikeCorpus(ROOT, CORPUS_DIR, passages, model.dir, model.name);
log(`corpus: ${corpus.description} -> ${corpus.path}`);
log(
  `layout: ${flags.workers} worker process(es) x ${flags.threads} intra-op thread(s), ${flags.concurrency} shards in flight each, ` +
    `shards of ${shardSize} (${Math.ceil(passages / shardSize)} shards), maxBatchTokens ${flags.maxBatchTokens}`,
);

interface OverheadRun {
  readonly run: number;
  readonly encoderOnly: BaselineResult;
  readonly pipeline: Omit<IngestRunResult, 'memoryCurve'>;
  /** pipeline passages/s (ingest) / encoder-only passages/s, this run's pair. */
  readonly ratio: number;
}

const runs: OverheadRun[] = [];
for (let run = 1; run <= flags.runs; run++) {
  log(`run ${run}/${flags.runs}: encoder only ...`);
  const encoderOnly = await runEncodeBaseline({
    root: ROOT,
    corpusPath: corpus.path,
    modelDir: model.dir,
    processes: flags.workers,
    threads: flags.threads,
    maxBatchTokens: flags.maxBatchTokens,
    device: flags.device,
  });
  log(
    `run ${run}/${flags.runs}: encoder only: ${encoderOnly.seconds.toFixed(2)} s, ${fmt(encoderOnly.passagesPerSecond, 1)} passages/s`,
  );
  log(`run ${run}/${flags.runs}: pipeline ...`);
  const { memoryCurve: _curve, ...pipeline } = await runIngest({
    root: ROOT,
    corpus,
    modelDir: model.dir,
    workers: flags.workers,
    threads: flags.threads,
    concurrency: flags.concurrency,
    shardSize,
    highWaterMark: flags.highWaterMark,
    maxBatchTokens: flags.maxBatchTokens,
    device: flags.device,
    inline: flags.inline,
    skipFinalize: flags.skipFinalize,
    timeoutSeconds: flags.timeout,
    log,
  });
  const ratio = pipeline.passagesPerSecond / encoderOnly.passagesPerSecond;
  log(
    `run ${run}/${flags.runs}: pipeline: ${pipeline.ingestSeconds.toFixed(2)} s, ${fmt(pipeline.passagesPerSecond, 1)} passages/s ` +
      `(ratio ${ratio.toFixed(3)}; steady ${steadyText(pipeline.steadyPassagesPerSecond / encoderOnly.passagesPerSecond)}), ${flags.skipFinalize ? 'finalize skipped' : `finalize ${pipeline.finalizeSeconds.toFixed(2)} s`}`,
  );
  runs.push({ run, encoderOnly, pipeline, ratio });
}

const lengths = corpus.tokenLengths!;
const realTokens = lengths.reduce((sum, n) => sum + n, 0);
const computed = {
  realTokens,
  encoderOnly: encoderOnlyComputedTokens(lengths, flags.workers, flags.maxBatchTokens),
  pipeline: pipelineComputedTokens(lengths, shardSize, flags.maxBatchTokens),
};
const encoderOnlyRate = median(runs.map((r) => r.encoderOnly.passagesPerSecond));
const pipelineRate = median(runs.map((r) => r.pipeline.passagesPerSecond));
const wallRate = median(runs.map((r) => passages / r.pipeline.wallSeconds));
const steadyRate = median(runs.map((r) => r.pipeline.steadyPassagesPerSecond));
/** CPU seconds the pipeline spent per run: workers during the ingest, redis-server, and the producer's whole life. */
const pipelineCpu = (r: OverheadRun) =>
  r.pipeline.processes
    .filter((p) => p.role.startsWith('worker'))
    .reduce((sum, p) => sum + (p.ingestCpuSeconds ?? NaN), 0) + r.pipeline.redis.cpuSeconds;
const producerCpu = (r: OverheadRun) =>
  r.pipeline.processes.find((p) => p.role === 'producer')?.cpuSeconds ?? NaN;
const summary = {
  model: model.name,
  modelDescription: model.description,
  passages,
  encoderOnlyPassagesPerSecond: encoderOnlyRate,
  pipelinePassagesPerSecond: pipelineRate,
  /** Median pipeline rate over median encoder-only rate: the headline figure. */
  ratio: pipelineRate / encoderOnlyRate,
  /** Median of the per-run (interleaved pair) ratios: less sensitive to slow drift in machine load. */
  medianPairRatio: median(runs.map((r) => r.ratio)),
  pipelineWallPassagesPerSecond: wallRate,
  wallRatio: wallRate / encoderOnlyRate,
  /**
   * From 10% to 90% stored (steady-rate.ts): the rate without the run's start and tail, which a long ingest
   * amortizes and a short benchmark run does not. Shown beside the headline ratio, never instead of it.
   */
  pipelineSteadyPassagesPerSecond: steadyRate,
  steadyRatio: steadyRate / encoderOnlyRate,
  finalizeSeconds: median(runs.map((r) => r.pipeline.finalizeSeconds)),
  firstShardSeconds: median(runs.map((r) => r.pipeline.firstShardSeconds)),
  target: TARGET,
  pass: pipelineRate / encoderOnlyRate >= TARGET,
  /**
   * Encoder-only CPU seconds over the pipeline's (workers during the ingest + redis-server; with
   * the producer's, start-up included, in cpuRatioWithProducer): the same question in CPU time,
   * which a busy shared machine distorts less than wall time. 1 = the pipeline adds no CPU work.
   */
  cpuRatio: median(runs.map((r) => r.encoderOnly.cpuSeconds / pipelineCpu(r))),
  cpuRatioWithProducer: median(runs.map((r) => r.encoderOnly.cpuSeconds / (pipelineCpu(r) + producerCpu(r)))),
  tokenStats: corpus.tokenStats,
  /**
   * Tokens the model computes, [PAD] included, on each side (planned with the encoder's own
   * planBatches): the pipeline pads within each shard's encode calls, the baseline within one call.
   * A pipeline/encoder-only ratio above 1 is compute the pipeline adds by how it cuts the corpus.
   */
  computedTokens: { ...computed, pipelineOverEncoderOnly: computed.pipeline / computed.encoderOnly },
};

writeResults(
  NAME,
  machine,
  {
    workers: flags.workers,
    threadsPerWorker: flags.threads,
    concurrency: flags.concurrency,
    shardSize,
    highWaterMark: flags.highWaterMark,
    maxBatchTokens: flags.maxBatchTokens,
    inline: flags.inline,
    runs: flags.runs,
    corpus: corpus.description,
  },
  runs,
  summary,
  (loadEnd) => render(loadEnd),
  log,
);

function render(loadAverageAtEnd: number): string {
  const t = corpus.tokenStats!;
  const cpu = (role: string) =>
    median(
      runs.map((r) =>
        r.pipeline.processes
          .filter((p) => p.role.startsWith(role))
          .reduce((s, p) => s + ((role === 'worker' ? p.ingestCpuSeconds : p.cpuSeconds) ?? NaN), 0),
      ),
    );
  const lines = [
    '# Pipeline overhead: end to end vs encoder only',
    '',
    ...machineLines(machine, loadAverageAtEnd),
    `- Model: ${model.description}${tiny ? ' **(fallback: the encoder is nearly free, so this ratio is the plumbing ratio, not the real-model overhead)**' : ''}`,
    `- Passages: ${corpus.description}; tokens incl. [CLS]/[SEP]: median ${t.median}, p90 ${t.p90}, max ${t.max}, total ${fmt(t.total)}`,
    `- Layout (both sides): ${flags.workers} process(es) x ${flags.threads} onnxruntime thread(s), ${describeDevice(flags.device)}, maxBatchTokens ${flags.maxBatchTokens}; ` +
      `pipeline: shards of ${shardSize} (${runs[0]?.pipeline.shards ?? '?'} shards, byte ranges${flags.inline ? ' -> inline passages' : ''}), ${flags.concurrency} in flight per worker, private redis-server, LanceDB in a temp folder`,
    `- Runs: ${flags.runs}, interleaved (encoder-only, pipeline, ...); medians. Encoder-only: model loaded and warmed up, then encode(all) timed. ` +
      'Pipeline: workers started and models loaded first; timed from the producer beginning the ingest (manifest startedAt) to the last shard stored and acknowledged (lastDoneAt)',
    '',
    '| what | passages/s (median) | seconds per run | vs encoder only |',
    '|---|---:|---:|---:|',
    `| encoder only | ${fmt(encoderOnlyRate, 1)} | ${runs.map((r) => r.encoderOnly.seconds.toFixed(1)).join(' / ')} | 1.00 |`,
    `| pipeline, end to end (ingest begun -> all stored) | ${fmt(pipelineRate, 1)} | ${runs.map((r) => r.pipeline.ingestSeconds.toFixed(1)).join(' / ')} | **${summary.ratio.toFixed(3)}** |`,
    `| pipeline incl. producer process start | ${fmt(wallRate, 1)} | ${runs.map((r) => r.pipeline.wallSeconds.toFixed(1)).join(' / ')} | ${summary.wallRatio.toFixed(3)} |`,
    `| pipeline, steady state (10% -> 90% of the passages stored: no start, no tail) | ${fmt(steadyRate, 1)} | | ${steadyText(summary.steadyRatio)} |`,
    '',
    `- Target: end to end >= ${TARGET}x encoder only: **${summary.ratio.toFixed(3)} ${passFail(summary.pass)}** (median of the per-run pair ratios: ${summary.medianPairRatio.toFixed(3)}). ` +
      `The steady-state row is what a corpus far larger than ${fmt(passages)} passages sees: the rest of the gap is the run's start and tail`,
    `- In CPU time (less distorted by a busy machine than wall time): encoder only ${median(runs.map((r) => r.encoderOnly.cpuSeconds)).toFixed(1)} CPU s, ` +
      `pipeline ${median(runs.map(pipelineCpu)).toFixed(1)} (workers during the ingest + redis-server) + ${median(runs.map(producerCpu)).toFixed(1)} producer (start-up included): ` +
      `ratio ${summary.cpuRatio.toFixed(3)} (${summary.cpuRatioWithProducer.toFixed(3)} with the producer)`,
    flags.skipFinalize
      ? '- Finalize skipped (--skip-finalize): the workers consumed the shard queue only; stored = the shards done count'
      : `- After the last shard: finalize (compaction, ANN index if >= the store's threshold, count check) ${summary.finalizeSeconds.toFixed(2)} s (median), not in the rates above`,
    `- First shard stored ${summary.firstShardSeconds.toFixed(2)} s after the ingest began (median)`,
    `- CPU seconds in the pipeline (median per run): workers ${cpu('worker').toFixed(1)} (during the ingest), producer ${cpu('producer').toFixed(1)} (its whole life, start-up included), redis-server ${median(runs.map((r) => r.pipeline.redis.cpuSeconds)).toFixed(1)}`,
    `- Compute incl. [PAD]: encoder only ${fmt(computed.encoderOnly)} tokens (measured: ${fmt(runs[0]?.encoderOnly.paddedTokens ?? NaN)}), pipeline ${fmt(computed.pipeline)} ` +
      `(planned per shard of ${shardSize}, one encode call each, as embedShard encodes) for ${fmt(realTokens)} real: the pipeline computes ` +
      `${summary.computedTokens.pipelineOverEncoderOnly.toFixed(2)}x the baseline's tokens${summary.computedTokens.pipelineOverEncoderOnly > 1.05 ? ' (smaller shards pad more: part of the gap is padding, not plumbing)' : ''}`,
  ];
  return lines.join('\n');
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        ...PROCESS_FLAG_OPTIONS,
        runs: { type: 'string', default: '3' },
        passages: { type: 'string' },
        'shard-size': { type: 'string' },
        'max-batch-tokens': { type: 'string', default: '16384' },
        model: { type: 'string' },
        inline: { type: 'boolean', default: false },
        'skip-finalize': { type: 'boolean', default: false },
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
      passages: values.passages === undefined ? undefined : positiveInt('passages', values.passages),
      ...processFlags(values),
      shardSize:
        values['shard-size'] === undefined ? undefined : positiveInt('shard-size', values['shard-size']),
      maxBatchTokens: positiveInt('max-batch-tokens', values['max-batch-tokens']),
      model: values.model,
      inline: values.inline,
      skipFinalize: values['skip-finalize'],
      timeout: positiveInt('timeout', values.timeout),
    };
  } catch (error) {
    return fail(NAME, `${(error as Error).message} (see --help)`);
  }
}

function helpText(): string {
  return `pipeline overhead: end-to-end passages/s vs encoder-only passages/s (target >= ${TARGET})
  --runs N               runs of each side, interleaved; medians reported (3)
  --passages N           corpus size (240 with the DistilBERT-base bench model, 20000 with the tiny model)
  --workers N            worker processes, and encoder-only processes (1)
  --threads N            onnxruntime intra-op threads per process (cores / workers)
  --shard-size N         passages per shard job (40 bench model, 1000 tiny)
  --concurrency N        shards in flight per worker (the worker's default: 2 per inference thread)
  --high-water-mark N    producer backpressure (200)
  --max-batch-tokens N   encoder token budget per inference call (16384, the worker's default)
  --model DIR            model folder (default: .cache/models/bench-distilbert-base if built, else the tiny fixture model)
  --inline               passages inside the jobs instead of byte ranges
  --skip-finalize        end each pipeline run at the last shard stored (no compaction, ANN index or count check;
                         the ingest rate is timed the same way)
${DEVICE_FLAG_HELP}
  --timeout S            give up on one pipeline run after S seconds (3600)`;
}
