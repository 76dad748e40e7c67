import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelFiles, findCachedModel, pullModel } from '../download/index.ts';

/** The model Embedline is built for. */
export const DEFAULT_MODEL_REPO = 'sentence-transformers/msmarco-distilbert-cos-v5';

/**
 * A tiny DistilBERT with random weights and its own vocabulary (tools/reference/make_fixtures.py).
 * It runs the exact same code path as the real model, which is what the parity tests need, but its
 * rankings mean nothing: it is only a fallback so the pipeline can run where the hub is unreachable.
 */
export const BUNDLED_REFERENCE_MODEL_DIR = fileURLToPath(new URL('../../fixtures/tiny-model/', import.meta.url));

export type ModelSource = 'explicit' | 'cache' | 'pulled' | 'bundled-reference';

export interface ResolvedModel {
  readonly dir: string;
  readonly source: ModelSource;
  /** Set when the bundled reference model is used: why, and that its rankings are meaningless. */
  readonly warning?: string;
}

export interface ResolveModelOptions {
  /** Use this folder and nothing else (no cache lookup, no download, no fallback). */
  readonly modelDir?: string;
  readonly repo?: string;
  readonly revision?: string;
  readonly variant?: string;
  readonly cacheDir?: string;
  /** Try the hub when the model is not cached (default true; HF_HUB_OFFLINE=1 also disables it). */
  readonly pull?: boolean;
  /** Give up on the hub after this long (default 5 minutes: the fp32 model is ~265 MB). */
  readonly pullTimeoutMs?: number;
  /** Fall back to the bundled reference model when the real one cannot be had (default true). */
  readonly allowReferenceFallback?: boolean;
  readonly log?: (message: string) => void;
}

/** Finds the real model: an explicit folder, else the local Hugging Face cache, else the hub. */
export async function resolveModel(options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  if (options.modelDir !== undefined) return { dir: options.modelDir, source: 'explicit' };
  const repo = options.repo ?? DEFAULT_MODEL_REPO;
  const revision = options.revision ?? 'main';
  const onnxFile = options.variant && options.variant !== 'fp32' ? `onnx/model_${options.variant}.onnx` : 'onnx/model.onnx';
  const cached = findCachedModel({ repo, revision, cacheDir: options.cacheDir });
  if (cached !== undefined && existsSync(join(cached, onnxFile))) return { dir: cached, source: 'cache' };

  let failure = `${repo} is not in the local cache`;
  if (options.pull !== false && process.env.HF_HUB_OFFLINE !== '1') {
    try {
      options.log?.(`downloading ${repo}@${revision} from the Hugging Face Hub`);
      const pulled = await pullModel({
        repo,
        revision,
        cacheDir: options.cacheDir,
        include: defaultModelFiles(options.variant),
        signal: AbortSignal.timeout(options.pullTimeoutMs ?? 300_000),
        log: options.log,
      });
      return { dir: pulled.dir, source: 'pulled' };
    } catch (error) {
      failure = `${failure} and could not be downloaded (${(error as Error).message})`;
    }
  }
  if (options.allowReferenceFallback === false) throw new Error(failure);
  return {
    dir: BUNDLED_REFERENCE_MODEL_DIR,
    source: 'bundled-reference',
    warning:
      `${failure}. Falling back to the BUNDLED REFERENCE MODEL: a tiny DistilBERT with RANDOM weights. ` +
      'Embeddings are computed exactly as for the real model, but RANKINGS FROM IT MEAN NOTHING.',
  };
}
