/**
 * Encoder benchmark: our encoder vs sentence-transformers (PyTorch, CPU) vs transformers.js, on the
 * same model, the same texts and the same thread count; prints one comparison table and writes it
 * to bench/out/encoder.md (raw numbers: bench/out/encoder.json). See bench/README.md.
 *
 *   npx tsx bench/encoder/run.ts [--runs 3] [--passages 2000] [--systems embedline,transformersjs,sentence-transformers]
 *                                [--model .cache/models/bench-distilbert-base] [--threads <all cores>]
 *                                [--batch-size 32] [--out bench/out] [--encoder-options '{"maxBatchSize":32}']
 *                                [--variant fp32|O1|O2|O3|...]   (our encoder's ONNX file: onnx/model_<variant>.onnx)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModelSpec } from '@embedline/encoder';
import { describeMachine } from './machine.ts';
import { buildPassages, readTrecAbstracts, writePassages } from './passages.ts';
import {
  SYSTEMS,
  ourEncoderOptions,
  positiveInt,
  readVectors,
  type SystemName,
  type SystemResult,
} from './protocol.ts';
import {
  systemLabel,
  compareVectors,
  median,
  renderMarkdown,
  worseOf,
  type Report,
  type StockTruncationDiff,
  type SystemSummary,
  type VectorDiff,
} from './report.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_MODEL = '.cache/models/bench-distilbert-base';
const VENV_PYTHON = 'tools/.venv/bin/python';
const MAKE_MODEL = 'tools/reference/make_bench_model.py';
const COLLECTION = 'data/vaswani/doc-text.trec';
/** The variants make_bench_model.py --variants writes. */
const BUILT_VARIANTS = ['fp16', 'O1', 'O2', 'O3', 'O4'];

const { values, runs, passageCount, threads, batchSize, selected, variant, encoderOptions } = readFlags();

function readFlags() {
  try {
    return parseFlags();
  } catch (error) {
    return fail(`${(error as Error).message} (see --help)`);
  }
}

function parseFlags() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      passages: { type: 'string', default: '2000' },
      systems: { type: 'string', default: SYSTEMS.join(',') },
      model: { type: 'string' },
      threads: { type: 'string', default: String(availableParallelism()) },
      'batch-size': { type: 'string', default: '32' },
      out: { type: 'string', default: 'bench/out' },
      'encoder-options': { type: 'string' },
      variant: { type: 'string', default: 'fp32' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    process.exit(0);
  }

  const runs = positiveInt('runs', values.runs);
  const passageCount = positiveInt('passages', values.passages);
  const threads = positiveInt('threads', values.threads);
  const batchSize = positiveInt('batch-size', values['batch-size']);
  const systems = values.systems
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of systems) {
    if (!(SYSTEMS as readonly string[]).includes(s))
      throw new Error(`unknown system "${s}" (known: ${SYSTEMS.join(', ')})`);
  }
  const selected = SYSTEMS.filter((s) => systems.includes(s));
  const variant = values.variant;
  if (variant !== 'fp32' && !selected.includes('embedline'))
    throw new Error("--variant is our encoder's: add embedline to --systems");
  // Our encoder's options, as the JSON its process takes: the variant, then --encoder-options over the defaults.
  const encoderOptions = ourEncoderOptions(variant, values['encoder-options']);
  if (selected.length === 0) throw new Error('--systems names no system');
  return { values, runs, passageCount, threads, batchSize, selected, variant, encoderOptions };
}

const modelDir = resolve(root, values.model ?? DEFAULT_MODEL);
const outDir = resolve(root, values.out);
const runDir = join(outDir, 'encoder-runs');
mkdirSync(runDir, { recursive: true });

const python = join(root, VENV_PYTHON);
if (selected.includes('sentence-transformers') && !existsSync(python)) {
  fail(
    `${VENV_PYTHON} not found: sentence-transformers runs in the tools venv (torch CPU + sentence-transformers). ` +
      `Create it, or leave sentence-transformers out: --systems embedline,transformersjs`,
  );
}
ensureModel();
if (selected.includes('embedline')) ensureVariant();

// The texts: built once from the collection with the model's tokenizer, fed to every system.
const built = buildPassages(passageCount, readTrecAbstracts(join(root, COLLECTION)), modelDir);
const passagesFile = join(outDir, 'passages.jsonl');
const wrote = writePassages(passagesFile, built.passages);
const t = built.stats;
log(
  `${built.passages.length} passages ${wrote ? 'written to' : 'unchanged in'} ${relative(root, passagesFile)}: ` +
    `tokens median ${t.median}, p90 ${t.p90}, max ${t.max}, ${t.truncated} over ${t.maxSeqLength} (truncated)`,
);
const machine = describeMachine();
log(
  `machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores, ${machine.memoryGiB} GiB; ${threads} threads per system`,
);
log(`load average at start: ${machine.loadAverageAtStart}`);

// Runs interleave the systems (A B C, A B C, ...) so drift in machine load spreads over all of them.
const results = new Map<SystemName, SystemResult[]>(selected.map((s) => [s, []]));
const errors = new Map<SystemName, string>();
for (let run = 1; run <= runs; run++) {
  for (const system of selected) {
    if (errors.has(system)) continue;
    log(`run ${run}/${runs}: ${systemLabel(system, { variant })} ...`);
    try {
      const result = await runSystem(system, run);
      results.get(system)!.push(result);
      log(
        `run ${run}/${runs}: ${systemLabel(system, { variant })}: ${result.seconds.toFixed(2)} s, ${(result.passages / result.seconds).toFixed(1)} passages/s (load ${result.loadSeconds.toFixed(1)} s)`,
      );
    } catch (error) {
      errors.set(system, (error as Error).message);
      log(`run ${run}/${runs}: ${systemLabel(system, { variant })} FAILED: ${(error as Error).message}`);
    }
  }
}

// Outputs: every run of every system against sentence-transformers' first run.
const tokensPerText = built.passages.map((p) => p.tokens);
const reference =
  selected.includes('sentence-transformers') && !errors.has('sentence-transformers')
    ? readVectors(outPrefix('sentence-transformers', 1) + '.f32')
    : undefined;
const summaries: SystemSummary[] = selected.map((system) => {
  const error = errors.get(system);
  const list = results.get(system)!;
  if (error !== undefined) return { system, runs: list, error };
  const medianSeconds = median(list.map((r) => r.seconds));
  let diff: VectorDiff | undefined;
  if (reference) {
    list.forEach((r, i) => {
      if (system === 'sentence-transformers' && i === 0) return;
      const vectors = readVectors(outPrefix(system, i + 1) + '.f32');
      diff = worseOf(diff, compareVectors(vectors, reference, r.dimension, tokensPerText));
    });
  }
  return {
    system,
    runs: list,
    medianSeconds,
    passagesPerSecond: list[0]!.passages / medianSeconds,
    tokensPerSecond: list[0]!.tokens / medianSeconds,
    diffVsSentenceTransformers: diff,
  };
});

let transformersJsStock: StockTruncationDiff[] | undefined;
const tjsFirst = results.get('transformersjs')?.[0];
if (reference && tjsFirst && !errors.has('transformersjs')) {
  const extra = tjsFirst.extra as {
    overLengthIndices: number[];
    stockVariants: string[];
    stockModelMaxLength: unknown;
    maxSeqLength: number;
  };
  const rows = extra.overLengthIndices;
  if (rows.length > 0) {
    const stock = readVectors(outPrefix('transformersjs', 1) + '.stock.f32');
    const dim = tjsFirst.dimension;
    const expected = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => expected.set(reference.subarray(row * dim, (row + 1) * dim), i * dim));
    const describe: Record<string, string> = {
      stock: `stock pipeline (cuts at tokenizer_config's model_max_length ${String(extra.stockModelMaxLength)}, dropping [SEP])`,
      'stock-384': `model_max_length set to ${extra.maxSeqLength}, stock cut (drops [SEP])`,
    };
    transformersJsStock = extra.stockVariants.map((variant, v) => ({
      variant: describe[variant] ?? variant,
      texts: rows.length,
      diff: compareVectors(
        stock.subarray(v * rows.length * dim, (v + 1) * rows.length * dim),
        expected,
        dim,
        tokensPerText,
        rows,
      ),
    }));
  }
}

const versions: Record<string, string> = {};
for (const list of results.values()) for (const r of list.slice(0, 1)) Object.assign(versions, r.versions);
const report: Report = {
  generatedAt: new Date().toISOString(),
  command: `tsx bench/encoder/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  machine,
  threads,
  runs,
  passages: built.passages.length,
  model: relative(root, modelDir) || modelDir,
  tokenStats: t,
  versions,
  systems: summaries,
  transformersJsStock,
  loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
};
const markdown = renderMarkdown(report);
writeFileSync(join(outDir, 'encoder.md'), markdown + '\n');
writeFileSync(
  join(outDir, 'encoder.json'),
  JSON.stringify({ ...report, errors: Object.fromEntries(errors) }, null, 2) + '\n',
);
console.log('\n' + markdown);
log(
  `written: ${relative(root, join(outDir, 'encoder.md'))}, ${relative(root, join(outDir, 'encoder.json'))}`,
);
if (errors.size > 0) process.exitCode = 1;

function outPrefix(system: SystemName, run: number): string {
  return join(runDir, `${system}-r${run}`);
}

function runSystem(system: SystemName, run: number): Promise<SystemResult> {
  const flags = [
    '--passages',
    passagesFile,
    '--model',
    modelDir,
    '--threads',
    String(threads),
    '--warmup',
    '32',
    '--batch-size',
    String(batchSize),
    '--out',
    outPrefix(system, run),
  ];
  if (system === 'embedline' && encoderOptions !== undefined) flags.push('--encoder-options', encoderOptions);
  const [command, args] =
    system === 'sentence-transformers'
      ? [python, [join(root, 'tools/bench/st_encode.py'), ...flags]]
      : [process.execPath, ['--import', 'tsx', join(root, `bench/encoder/systems/${system}.ts`), ...flags]];
  return new Promise((done, failed) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', failed);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-15).join('\n');
        failed(new Error(`${system} exited with ${signal ?? code}:\n${tail}`));
        return;
      }
      try {
        const result = JSON.parse(readFileSync(outPrefix(system, run) + '.json', 'utf8')) as SystemResult;
        const last = stdout.trim().split('\n').at(-1) ?? '';
        if ((JSON.parse(last) as SystemResult).seconds !== result.seconds)
          throw new Error('stdout and result file disagree');
        done(result);
      } catch (error) {
        failed(new Error(`${system}: no readable result (${(error as Error).message})`));
      }
    });
  });
}

function ensureModel(): void {
  if (existsSync(modelDir)) return;
  if (values.model !== undefined) fail(`model folder ${modelDir} does not exist`);
  const extra = variant === 'fp32' ? [] : ['--variants', variant];
  const command = [VENV_PYTHON, MAKE_MODEL, '--out', DEFAULT_MODEL, ...extra].join(' ');
  if (!existsSync(python)) {
    fail(
      `benchmark model ${DEFAULT_MODEL} is missing and ${VENV_PYTHON} does not exist; create the tools venv, then run:\n  ${command}`,
    );
  }
  if (!existsSync(join(root, MAKE_MODEL))) {
    fail(
      `benchmark model ${DEFAULT_MODEL} is missing and ${MAKE_MODEL} does not exist yet; build the model with it once it lands:\n  ${command}\nor pass --model <folder>`,
    );
  }
  log(`benchmark model ${DEFAULT_MODEL} not found; building it: ${command}`);
  const made = spawnSync(python, [join(root, MAKE_MODEL), '--out', modelDir, ...extra], {
    cwd: root,
    stdio: 'inherit',
  });
  if (made.status !== 0 || !existsSync(modelDir))
    fail(
      `building the benchmark model failed (exit ${made.status ?? made.signal}); run it by hand:\n  ${command}`,
    );
}

/** Our encoder's ONNX file for --variant must be in the model folder: say how to get it when it is not. */
function ensureVariant(): void {
  try {
    loadModelSpec(modelDir, { variant });
  } catch (error) {
    const rebuild =
      values.model === undefined && BUILT_VARIANTS.includes(variant)
        ? `; the benchmark model builds it (rewriting the folder): ${VENV_PYTHON} ${MAKE_MODEL} --out ${DEFAULT_MODEL} --variants ${variant}`
        : '';
    fail(`--variant ${variant}: ${(error as Error).message}${rebuild}`);
  }
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function fail(message: string): never {
  console.error(`[bench] ${message}`);
  process.exit(2);
}
