/**
 * The GPU path, checked and measured on a machine with an NVIDIA GPU (bench/gpu.sh prepares the CUDA
 * libraries and the benchmark model, then runs this):
 *
 *   1. the CUDA execution provider loads (a silent fallback to CPU fails the run);
 *   2. parity on the GPU: the tiny reference model's committed sentence-transformers embeddings
 *      (fp32 within 1e-4; fp16 within 1e-2 with cosine >= 0.999), and the same on the DistilBERT-base-shaped
 *      benchmark model's reference-embeddings.json for every variant present. Each parity pass runs in a child
 *      process, because TF32 can only be switched off for a whole process (NVIDIA_TF32_OVERRIDE=0, read when the
 *      CUDA libraries start): fp32 is checked both ways, the other variants once;
 *   3. passages/s of the benchmark model for each variant x token budget x inference-thread count;
 *   4. the peer: sentence-transformers (PyTorch, fp16 weights, batches of 256) on the same GPU and passages,
 *      through tools/bench/st_encode.py (`--peer-python`, default $PYTHON or python3; `--no-peer` skips it).
 *
 *   npx tsx bench/gpu/run.ts [--model .cache/models/bench-distilbert-base] [--variants fp32,fp16,O4]
 *        [--budgets 16384,32768,65536] [--threads 2,4] [--tokenizer-threads 8] [--passages 40000] [--device 0]
 *        [--out bench/results] [--peer-python python3] [--peer-batch-size 256] [--no-peer]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder, type EncoderOptions } from '@embedline/encoder';
import { describeMachine } from '../encoder/machine.ts';
import { buildPassages, readTrecAbstracts } from '../encoder/passages.ts';
import { compareToReference, PARITY_LIMITS, tf32Enabled, type ParityResult, type ReferenceCase } from './parity.ts';
import { runPeer, type PeerResult } from './peer.ts';
import { renderGpuReport, type GpuReport, type ThroughputRow } from './report.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const flags = parseArgs({
  options: {
    model: { type: 'string', default: '.cache/models/bench-distilbert-base' },
    variants: { type: 'string', default: 'fp32,fp16,O4' },
    budgets: { type: 'string', default: '16384,32768,65536' },
    threads: { type: 'string', default: '2,4' },
    // Tokenization on one thread caps a GPU near 6k passages/s (bench/encoder/tokenize.ts).
    'tokenizer-threads': { type: 'string', default: '8' },
    passages: { type: 'string', default: '40000' },
    'max-batch-size': { type: 'string', default: '1024' },
    device: { type: 'string', default: process.env.EMBEDLINE_DEVICE_ID ?? '0' },
    out: { type: 'string', default: 'bench/results' },
    'peer-python': { type: 'string', default: process.env.PYTHON ?? 'python3' },
    'peer-batch-size': { type: 'string', default: '256' },
    'no-peer': { type: 'boolean', default: false },
    // Internal: one parity pass in this process, its results as JSON on the last line of stdout.
    'parity-only': { type: 'string' },
  },
  strict: true,
}).values;

const deviceId = Number(flags.device);
const benchModel = resolve(root, flags.model);
const list = (value: string) => value.split(',').filter((v) => v !== '');
const numbers = (value: string) => list(value).map(Number);
const warnings: string[] = [];
const logger = { info() {}, warn: (message: string) => warnings.push(message) };

async function loadOnGpu(options: Omit<EncoderOptions, 'provider' | 'deviceId'>): Promise<Encoder> {
  warnings.length = 0;
  const encoder = await Encoder.load({ ...options, provider: 'cuda', deviceId }, logger);
  if (encoder.describe().provider !== 'cuda') {
    await encoder.close();
    throw new Error(`the CUDA execution provider did not load: ${warnings.join(' | ') || 'no reason given'}`);
  }
  return encoder;
}

async function parityOf(label: string, modelDir: string, variant: string, cases: readonly ReferenceCase[]) {
  const encoder = await loadOnGpu({ modelDir, variant, maxBatchTokens: 4096 });
  try {
    const result = await encoder.encode(cases.map((c) => c.text));
    return compareToReference(label, variant, cases, result.vectors, result.dimension, tf32Enabled());
  } finally {
    await encoder.close();
  }
}

function variantExists(modelDir: string, variant: string): boolean {
  return existsSync(join(modelDir, 'onnx', variant === 'fp32' ? 'model.onnx' : `model_${variant}.onnx`));
}

/** Parity of the given variants, in this process (and so with this process's TF32 setting). */
async function runParity(variants: readonly string[]): Promise<ParityResult[]> {
  const tiny = JSON.parse(
    gunzipSync(readFileSync(join(BUNDLED_REFERENCE_MODEL_DIR, '../reference/tiny-model-embeddings.json.gz'))).toString('utf8'),
  ) as { cases: ReferenceCase[] };
  const results: ParityResult[] = [];
  for (const variant of variants.filter((v) => v === 'fp32' || v === 'fp16')) {
    results.push(await parityOf('tiny reference model', BUNDLED_REFERENCE_MODEL_DIR, variant, tiny.cases));
  }
  const benchReference = join(benchModel, 'reference-embeddings.json');
  if (existsSync(benchReference)) {
    const bench = JSON.parse(readFileSync(benchReference, 'utf8')) as { cases: ReferenceCase[] };
    for (const variant of variants.filter((v) => variantExists(benchModel, v))) {
      results.push(await parityOf('DistilBERT-base bench model', benchModel, variant, bench.cases));
    }
  }
  return results;
}

/** One parity pass in a child process with `env` added: the CUDA libraries read NVIDIA_TF32_OVERRIDE at start. */
function parityInChild(variants: readonly string[], env: Record<string, string>): ParityResult[] {
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', self, '--parity-only', variants.join(','), '--model', flags.model, '--device', String(deviceId)];
  const child = spawnSync(process.execPath, args, {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`parity pass (${JSON.stringify(env)}) exited with ${child.signal ?? child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '[]') as ParityResult[];
}

/** Every variant as the worker runs it (TF32 allowed), then fp32 once more as exact fp32 arithmetic. */
function runAllParity(): ParityResult[] {
  const variants = [...new Set(['fp32', 'fp16', ...list(flags.variants)])];
  return [...parityInChild(variants, {}), ...parityInChild(['fp32'], { NVIDIA_TF32_OVERRIDE: '0' })];
}

async function measure(texts: readonly string[], variant: string, budget: number, threads: number): Promise<ThroughputRow> {
  const maxBatchSize = Number(flags['max-batch-size']);
  const encoder = await loadOnGpu({
    modelDir: benchModel,
    variant,
    maxBatchTokens: budget,
    maxBatchSize,
    inferenceThreads: threads,
    tokenizerThreads: Number(flags['tokenizer-threads']),
    sortWindow: Math.max(4096, maxBatchSize * 4),
  });
  try {
    await encoder.encode(texts.slice(0, 4096)); // CUDA kernels, cuBLAS handles and the memory arena warm up
    const start = process.hrtime.bigint();
    const result = await encoder.encode(texts);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const { realTokens, paddedTokens, batches } = result.stats;
    return {
      variant,
      maxBatchTokens: budget,
      inferenceThreads: threads,
      tokenizerThreads: Number(flags['tokenizer-threads']),
      passages: texts.length,
      seconds,
      passagesPerSecond: texts.length / seconds,
      realTokensPerSecond: realTokens / seconds,
      paddingOverhead: paddedTokens / realTokens - 1,
      batches,
    };
  } finally {
    await encoder.close();
  }
}

async function runThroughput(): Promise<{ rows: ThroughputRow[]; tokenStats: unknown; texts: readonly string[] }> {
  const abstracts = readTrecAbstracts(join(root, 'data/vaswani/doc-text.trec'));
  const { passages, stats } = buildPassages(Number(flags.passages), abstracts, benchModel);
  const texts = passages.map((p) => p.text);
  const rows: ThroughputRow[] = [];
  for (const variant of list(flags.variants).filter((v) => variantExists(benchModel, v))) {
    for (const budget of numbers(flags.budgets)) {
      for (const threads of numbers(flags.threads)) {
        const row = await measure(texts, variant, budget, threads);
        console.error(
          `${variant} budget ${budget} threads ${threads}: ${row.passagesPerSecond.toFixed(0)} passages/s ` +
            `(${(row.realTokensPerSecond / 1e6).toFixed(2)}M tokens/s, ${row.batches} batches)`,
        );
        rows.push(row);
      }
    }
  }
  return { rows, tokenStats: stats, texts };
}

function runPeerOn(texts: readonly string[]): PeerResult | undefined {
  if (flags['no-peer'] || texts.length === 0) return undefined;
  const peer = runPeer({
    python: flags['peer-python'],
    script: join(root, 'tools/bench/st_encode.py'),
    modelDir: benchModel,
    texts,
    batchSize: Number(flags['peer-batch-size']),
  });
  if ('error' in peer) {
    console.error(`sentence-transformers peer did not run: ${peer.error}`);
    return undefined;
  }
  console.error(`sentence-transformers fp16 (batch ${peer.batchSize}): ${peer.passagesPerSecond.toFixed(0)} passages/s`);
  return peer;
}

async function main(): Promise<number> {
  if (flags['parity-only'] !== undefined) {
    console.log(JSON.stringify(await runParity(list(flags['parity-only']))));
    return 0;
  }
  const started = new Date().toISOString();
  const parity = runAllParity();
  for (const p of parity) {
    console.error(`parity ${p.model} ${p.variant}${p.tf32 ? '' : ' (TF32 off)'}: ${p.pass ? 'pass' : 'FAIL'} (${p.summary})`);
  }
  const haveBenchModel = existsSync(join(benchModel, 'modules.json'));
  const throughput = haveBenchModel ? await runThroughput() : { rows: [], tokenStats: undefined, texts: [] };
  if (!haveBenchModel) console.error(`no benchmark model at ${benchModel}: throughput skipped (tools/reference/make_bench_model.py)`);
  const peer = runPeerOn(throughput.texts);
  const report: GpuReport = {
    benchmark: 'gpu',
    started,
    machine: { ...describeMachine(), gpu: process.env.EMBEDLINE_GPU_NAME ?? 'unknown' },
    deviceId,
    parityLimits: PARITY_LIMITS,
    parity,
    throughput: throughput.rows,
    tokenStats: throughput.tokenStats,
    ...(peer === undefined ? {} : { peer }),
  };
  mkdirSync(flags.out, { recursive: true });
  writeFileSync(join(flags.out, 'gpu.json'), JSON.stringify(report, null, 2) + '\n');
  const markdown = renderGpuReport(report);
  writeFileSync(join(flags.out, 'gpu.md'), markdown);
  console.log(markdown);
  return parity.every((p) => p.pass) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`bench/gpu: ${(error as Error).message}`);
  process.exitCode = 2;
}
