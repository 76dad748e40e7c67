/** Which model a pipeline benchmark runs, said out loud: the numbers mean little without it. */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';

export const BENCH_MODEL_DIR = '.cache/models/bench-distilbert-base';
export const BUILD_BENCH_MODEL = 'tools/.venv/bin/python tools/reference/make_bench_model.py';
export const NANO_MODEL_DIR = '.cache/models/bench-nano';
export const BUILD_NANO_MODEL = `${BUILD_BENCH_MODEL} --shape nano`;

export interface BenchModel {
  readonly dir: string;
  /** Short name for file names and tables. */
  readonly name: 'bench-distilbert-base' | 'bench-nano' | 'tiny-model' | 'custom';
  readonly description: string;
}

export function tinyModel(root: string): BenchModel {
  return {
    dir: BUNDLED_REFERENCE_MODEL_DIR,
    name: 'tiny-model',
    description: `${relative(root, BUNDLED_REFERENCE_MODEL_DIR) || BUNDLED_REFERENCE_MODEL_DIR} (64-d, 2 layers, 4k vocabulary, random weights: cheap, but on a CPU not free)`,
  };
}

/**
 * The nano benchmark model (`make_bench_model.py --shape nano`) when it has been built: the cheapest
 * real model we make, so a pipeline running it measures the plumbing around a real encoder (tokenizer,
 * batching, 32-d rows). Cheaper than the tiny model, but on a 2-core CPU still not free (onnxruntime
 * alone: ~1M tokens/s). Else undefined, after logging how to build it.
 */
export function nanoModel(root: string, log: (m: string) => void): BenchModel | undefined {
  const dir = join(root, NANO_MODEL_DIR);
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) {
    return {
      dir,
      name: 'bench-nano',
      description: `${NANO_MODEL_DIR} (32-d, 1 layer, bert-base-uncased vocabulary, random weights: the cheapest real encoder, for the plumbing ceiling)`,
    };
  }
  log(
    `nano model ${NANO_MODEL_DIR} not found, so the rows that need it are skipped. Build it with: ` +
      `${BUILD_NANO_MODEL}${venvHint(root)}`,
  );
  return undefined;
}

const venvHint = (root: string) =>
  existsSync(join(root, 'tools/.venv/bin/python'))
    ? ''
    : ' (the tools venv tools/.venv is missing too: see tools/reference/README.md)';

/**
 * The DistilBERT-base-shaped benchmark model when it has been built (it costs what
 * msmarco-distilbert-cos-v5 costs), else the tiny fixture model with a warning that the ratio then
 * measures plumbing, not a real encoder's share of the work.
 */
export function overheadModel(
  root: string,
  explicit: string | undefined,
  log: (m: string) => void,
): BenchModel {
  if (explicit !== undefined) {
    const dir = resolve(root, explicit);
    if (!existsSync(dir)) throw new Error(`--model ${explicit}: no such folder`);
    if (resolve(dir) === resolve(BUNDLED_REFERENCE_MODEL_DIR)) return tinyModel(root);
    if (resolve(dir) === resolve(root, BENCH_MODEL_DIR)) return overheadModel(root, undefined, log);
    return { dir, name: 'custom', description: explicit };
  }
  const bench = join(root, BENCH_MODEL_DIR);
  if (existsSync(join(bench, 'onnx', 'model.onnx'))) {
    return {
      dir: bench,
      name: 'bench-distilbert-base',
      description: `${BENCH_MODEL_DIR} (DistilBERT-base shape, 768-d, random weights: costs what msmarco-distilbert-cos-v5 costs)`,
    };
  }
  log(
    `benchmark model ${BENCH_MODEL_DIR} not found; using the TINY fixture model instead, so the encoder is cheap ` +
      `and the ratio measures mostly plumbing, not a real encoder. Build it with: ${BUILD_BENCH_MODEL}${venvHint(root)}`,
  );
  return tinyModel(root);
}
