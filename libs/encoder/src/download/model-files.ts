/**
 * An include filter for pullModel. `required` lists files the repo must have: pullModel checks them
 * against the hub's listing first, so a missing variant fails with the list of variants there are
 * instead of yielding a model folder without weights.
 */
export type ModelFileFilter = ((path: string) => boolean) & { readonly required?: readonly string[] };

/** What sentence-transformers needs besides the weights: module list, configs, tokenizer. */
const ROOT_FILES = new Set([
  'modules.json',
  'sentence_bert_config.json',
  'config.json',
  'config_sentence_transformers.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
]);

/** A module's config one folder down, such as `1_Pooling/config.json`. */
const MODULE_CONFIG = /^[^/]+\/config\.json$/;

/** The ONNX file of a variant: undefined or `fp32` -> `onnx/model.onnx`, `O4` -> `onnx/model_O4.onnx`. */
export function onnxModelFile(variant?: string): string {
  if (variant === undefined || variant === 'fp32') return 'onnx/model.onnx';
  if (!/^[\w.-]+$/.test(variant)) throw new TypeError(`invalid ONNX variant ${JSON.stringify(variant)}`);
  return `onnx/model_${variant}.onnx`;
}

/**
 * The files a sentence-transformers model needs to run on onnxruntime: the configs, the tokenizer and
 * the one ONNX file of `variant` (plus its external-data file `*.onnx_data`, which models over 2 GB
 * have). Never the PyTorch, TensorFlow, safetensors or OpenVINO weights, nor the other ONNX variants.
 */
export function defaultModelFiles(variant?: string): ModelFileFilter {
  const onnx = onnxModelFile(variant);
  const filter = (path: string) =>
    ROOT_FILES.has(path) || MODULE_CONFIG.test(path) || path === onnx || path === `${onnx}_data`;
  return Object.assign(filter, { required: [onnx] as const });
}
