/** Which model a pipeline benchmark runs, said out loud: the numbers mean little without it. */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';

export const BENCH_MODEL_DIR = '.cache/models/bench-distilbert-base';
export const BUILD_BENCH_MODEL = 'tools/.venv/bin/python tools/reference/make_bench_model.py';

export interface BenchModel {
  readonly dir: string;
  /** Short name for file names and tables. */
  readonly name: 'bench-distilbert-base' | 'tiny-model' | 'custom';
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
  const venv = existsSync(join(root, 'tools/.venv/bin/python'));
  log(
    `benchmark model ${BENCH_MODEL_DIR} not found; using the TINY fixture model instead, so the encoder is nearly ` +
      `free and the ratio measures plumbing, not a real encoder. Build it with: ${BUILD_BENCH_MODEL}` +
      (venv ? '' : ' (the tools venv tools/.venv is missing too: see tools/reference/README.md)'),
  );
  return tinyModel(root);
}
