/**
 * What the orchestrator (run.ts) and one system process agree on. Each system is its own process,
 * started once per run with the same command-line flags, so no two systems share a heap, a thread
 * pool or a warm cache. The Python peer (tools/bench/st_encode.py) speaks the same protocol.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

export const SYSTEMS = ['embedline', 'transformersjs', 'sentence-transformers'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** Flags every system process takes (the Python peer takes the same ones). */
export interface SystemArgs {
  /** passages.jsonl: one {"id", "text", "tokens"} object a line. */
  readonly passages: string;
  readonly model: string;
  /** Threads for inference (onnxruntime intra-op threads / torch threads). */
  readonly threads: number;
  /** Texts encoded once, untimed, before the timed run. */
  readonly warmup: number;
  /** Texts per call for systems that batch outside the library (transformers.js). */
  readonly batchSize: number;
  /** Writes <out>.f32 (count x dim float32, little-endian, input order) and <out>.json. */
  readonly out: string;
  /** Our encoder only: JSON merged over its benchmark options (e.g. {"maxBatchSize":32}). */
  readonly encoderOptions?: string;
}

/** The JSON a system process writes to <out>.json and as its last stdout line. */
export interface SystemResult {
  readonly system: SystemName;
  readonly passages: number;
  /** Tokens the model saw, [CLS]/[SEP] included, after truncation, by this system's own tokenizer. */
  readonly tokens: number;
  /** Wall time of encode(all texts), model loaded and warmed up. */
  readonly seconds: number;
  readonly loadSeconds: number;
  readonly dimension: number;
  readonly threads: number;
  /** Library versions this process actually loaded. */
  readonly versions: Record<string, string>;
  /** How the system was driven (batch size, truncation, ...), for the report. */
  readonly settings: Record<string, string | number | boolean>;
  /** System-specific measurements (our encoder: where the time goes). */
  readonly extra?: Record<string, unknown>;
}

export function parseSystemArgs(argv: readonly string[] = process.argv.slice(2)): SystemArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      passages: { type: 'string' },
      model: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string', default: '32' },
      'batch-size': { type: 'string', default: '32' },
      out: { type: 'string' },
      'encoder-options': { type: 'string' },
    },
    strict: true,
  });
  const need = (name: string, value: string | undefined): string => {
    if (value === undefined || value === '') throw new Error(`missing --${name}`);
    return value;
  };
  return {
    passages: need('passages', values.passages),
    model: need('model', values.model),
    threads: positiveInt('threads', need('threads', values.threads)),
    warmup: positiveInt('warmup', values.warmup),
    batchSize: positiveInt('batch-size', values['batch-size']),
    out: need('out', values.out),
    encoderOptions: values['encoder-options'],
  };
}

/**
 * The --encoder-options JSON our encoder's process gets: `{"variant": variant}` (run.ts --variant; fp32, the
 * default model.onnx, is left out) merged under the JSON object of run.ts --encoder-options. Undefined when
 * there is nothing to pass. Naming the variant in both places is an error, as is JSON that is not an object.
 */
export function ourEncoderOptions(variant: string, encoderOptions?: string): string | undefined {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(variant))
    throw new Error(`--variant must be a variant name like O2, got "${variant}"`);
  let parsed: Record<string, unknown> = {};
  if (encoderOptions !== undefined) {
    const value: unknown = JSON.parse(encoderOptions);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('--encoder-options must be a JSON object, e.g. \'{"maxBatchSize":32}\'');
    }
    parsed = value as Record<string, unknown>;
  }
  if (variant !== 'fp32' && 'variant' in parsed) {
    throw new Error('give the variant once: --variant, or "variant" in --encoder-options, not both');
  }
  const merged = variant === 'fp32' ? parsed : { variant, ...parsed };
  return Object.keys(merged).length === 0 && encoderOptions === undefined
    ? undefined
    : JSON.stringify(merged);
}

export function positiveInt(name: string, value: string): number {
  return integerFlag(name, value, 1, 'a positive integer');
}

export function nonNegativeInt(name: string, value: string): number {
  return integerFlag(name, value, 0, 'a whole number >= 0');
}

function integerFlag(name: string, value: string, min: number, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be ${what}, got "${value}"`);
  return n;
}

export function readPassageTexts(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

/** Writes the vectors and the result, and prints the result as the last line of stdout. */
export function writeSystemResult(out: string, vectors: Float32Array, result: SystemResult): void {
  if (endianness() !== 'LE') throw new Error('vector files are little-endian; this host is big-endian');
  writeFileSync(`${out}.f32`, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export function readVectors(path: string): Float32Array {
  const bytes = readFileSync(path);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/**
 * The installed version of `name` as `from` (a file URL or path) resolves it, so a report names the
 * onnxruntime-node each library really loads, not whichever is hoisted to the root.
 */
export function packageVersion(name: string, from: string): string {
  try {
    const require = createRequire(from);
    let dir = dirname(require.resolve(name));
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // no package.json at this level; keep walking up
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'not installed';
  }
}

export const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;
