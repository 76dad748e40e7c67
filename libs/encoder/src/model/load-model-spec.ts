import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from '../errors/model-load-error.ts';
import { readModelJson } from './read-json.ts';
import type { ModelSpec } from './model-spec.ts';
import { tokenizerJsonFromVocab } from './tokenizer-from-vocab.ts';

const modulesSchema = z
  .array(z.object({ idx: z.number().optional(), name: z.string().optional(), path: z.string(), type: z.string() }))
  .min(1);

const sentenceBertConfigSchema = z.looseObject({
  max_seq_length: z.number().int().positive().optional(),
  do_lower_case: z.boolean().optional(),
});

/**
 * Pooling config in both layouts: sentence-transformers < 6 writes `word_embedding_dimension` and one
 * boolean per mode (the hub's msmarco-distilbert-cos-v5 has this); 6.x writes `embedding_dimension`
 * and `pooling_mode: "mean"`.
 */
const poolingSchema = z.looseObject({
  word_embedding_dimension: z.number().int().positive().optional(),
  embedding_dimension: z.number().int().positive().optional(),
  pooling_mode: z.union([z.string(), z.array(z.string())]).optional(),
  pooling_mode_cls_token: z.boolean().optional(),
  pooling_mode_mean_tokens: z.boolean().optional(),
  pooling_mode_max_tokens: z.boolean().optional(),
  pooling_mode_mean_sqrt_len_tokens: z.boolean().optional(),
  pooling_mode_weightedmean_tokens: z.boolean().optional(),
  pooling_mode_lasttoken: z.boolean().optional(),
});

const transformerConfigSchema = z.looseObject({
  model_type: z.string(),
  dim: z.number().int().positive().optional(),
  hidden_size: z.number().int().positive().optional(),
  max_position_embeddings: z.number().int().positive().optional(),
});

const jsonObject = z.record(z.string(), z.unknown());

export interface LoadModelOptions {
  /** `fp32` (default) reads `onnx/model.onnx`; any other value reads `onnx/model_<variant>.onnx`. */
  readonly variant?: string;
  /** Lower the truncation length below the model's own (never above it). */
  readonly maxSeqLength?: number;
}

/** The three module kinds of a sentence-transformers embedding model, in the order they must run. */
type ModuleKind = 'Transformer' | 'Pooling' | 'Normalize';

/**
 * Reads a model folder in the Hugging Face sentence-transformers layout and checks that it is a
 * model this encoder runs exactly as sentence-transformers would: Transformer -> mean Pooling
 * (-> Normalize). Anything else is refused with an error naming the file, rather than producing
 * embeddings that silently differ from the Python library's.
 */
export function loadModelSpec(dir: string, options: LoadModelOptions = {}): ModelSpec {
  if (!existsSync(dir)) throw new ModelLoadError(dir, 'model folder does not exist');
  const modules = readModules(dir);
  const poolingPath = modules.get('Pooling');
  if (poolingPath === undefined) throw new ModelLoadError(join(dir, 'modules.json'), 'no Pooling module');

  const stConfig = readModelJson(dir, 'sentence_bert_config.json', sentenceBertConfigSchema);
  const config = readModelJson(dir, 'config.json', transformerConfigSchema);
  const dimension = readPoolingDimension(dir, poolingPath);
  const hidden = config.dim ?? config.hidden_size;
  if (hidden !== undefined && hidden !== dimension) {
    throw new ModelLoadError(
      join(dir, poolingPath, 'config.json'),
      `word_embedding_dimension ${dimension} differs from the transformer's width ${hidden} in config.json`,
    );
  }

  const { tokenizerJson, tokenizerConfig } = readTokenizer(dir);
  const positions = config.max_position_embeddings ?? Number.POSITIVE_INFINITY;
  const modelMax = typeof tokenizerConfig.model_max_length === 'number' ? tokenizerConfig.model_max_length : positions;
  // sentence-transformers truncates at max_seq_length when the config names one, else at the
  // tokenizer's limit; the position table is a hard ceiling either way.
  let maxSeqLength = Math.min(stConfig.max_seq_length ?? modelMax, positions);
  if (options.maxSeqLength !== undefined) maxSeqLength = Math.min(maxSeqLength, options.maxSeqLength);
  if (!Number.isFinite(maxSeqLength) || maxSeqLength < 2) {
    throw new ModelLoadError(join(dir, 'sentence_bert_config.json'), 'no usable max_seq_length');
  }

  const variant = options.variant ?? 'fp32';
  return {
    dir,
    onnxPath: findOnnxFile(dir, variant),
    variant,
    maxSeqLength,
    dimension,
    normalize: modules.has('Normalize'),
    lowerCaseInput: stConfig.do_lower_case ?? false,
    tokenizerJson,
    tokenizerConfig,
    modelType: config.model_type,
  };
}

function readModules(dir: string): Map<ModuleKind, string> {
  const file = join(dir, 'modules.json');
  const entries = readModelJson(dir, 'modules.json', modulesSchema);
  const expected: ModuleKind[] = ['Transformer', 'Pooling', 'Normalize'];
  const found = new Map<ModuleKind, string>();
  entries.forEach((entry, position) => {
    const kind = entry.type.split('.').pop() as ModuleKind;
    if (!expected.includes(kind)) {
      throw new ModelLoadError(file, `unsupported module ${entry.type} (supported: ${expected.join(', ')})`);
    }
    if (expected.indexOf(kind) !== position) {
      throw new ModelLoadError(file, `module ${entry.type} is out of order (expected ${expected.join(' -> ')})`);
    }
    found.set(kind, entry.path);
  });
  if (!found.has('Transformer')) throw new ModelLoadError(file, 'no Transformer module');
  return found;
}

function readPoolingDimension(dir: string, poolingPath: string): number {
  const file = join(poolingPath, 'config.json');
  const pooling = readModelJson(dir, file, poolingSchema);
  const legacyModes = Object.entries(pooling)
    .filter(([key, value]) => key.startsWith('pooling_mode_') && value === true)
    .map(([key]) => key.slice('pooling_mode_'.length).replace(/_tokens?$/, ''));
  const modes = pooling.pooling_mode === undefined ? legacyModes : [pooling.pooling_mode].flat();
  if (modes.length !== 1 || modes[0] !== 'mean') {
    throw new ModelLoadError(
      join(dir, file),
      `unsupported pooling ${modes.join(' + ') || '(none)'}; only mean pooling is supported`,
    );
  }
  const dimension = pooling.word_embedding_dimension ?? pooling.embedding_dimension;
  if (dimension === undefined) {
    throw new ModelLoadError(join(dir, file), 'no word_embedding_dimension (or embedding_dimension)');
  }
  return dimension;
}

function readTokenizer(dir: string): Pick<ModelSpec, 'tokenizerJson' | 'tokenizerConfig'> {
  const tokenizerConfig = existsSync(join(dir, 'tokenizer_config.json'))
    ? readModelJson(dir, 'tokenizer_config.json', jsonObject)
    : {};
  if (existsSync(join(dir, 'tokenizer.json'))) {
    return { tokenizerJson: readModelJson(dir, 'tokenizer.json', jsonObject), tokenizerConfig };
  }
  if (existsSync(join(dir, 'vocab.txt'))) {
    return { tokenizerJson: tokenizerJsonFromVocab(join(dir, 'vocab.txt'), tokenizerConfig), tokenizerConfig };
  }
  throw new ModelLoadError(join(dir, 'tokenizer.json'), 'missing (and no vocab.txt to build a WordPiece tokenizer from)');
}

function findOnnxFile(dir: string, variant: string): string {
  const name = variant === 'fp32' ? 'model.onnx' : `model_${variant}.onnx`;
  const path = join(dir, 'onnx', name);
  if (existsSync(path)) return path;
  const onnxDir = join(dir, 'onnx');
  const available = existsSync(onnxDir)
    ? readdirSync(onnxDir)
        .filter((f) => /^model(_.+)?\.onnx$/.test(f))
        .map((f) => (f === 'model.onnx' ? 'fp32' : f.slice('model_'.length, -'.onnx'.length)))
        .sort()
    : [];
  const hint = available.length > 0 ? `available variants: ${available.join(', ')}` : 'the folder has no ONNX weights';
  throw new ModelLoadError(path, `missing ONNX weights for variant "${variant}" (${hint})`);
}
