export { Encoder, type EncoderDescription } from './encoder.ts';
export { openEncoder, type EncoderSettings, type OpenEncoderOptions } from './open-encoder.ts';
export { encoderOptionsSchema, type EncoderOptions } from './encoder-options.ts';
export type { Embeddings, EncodeStats } from './encode-result.ts';
export type { EncoderLogger } from './logger.ts';
export { loadModelSpec, type LoadModelOptions } from './model/load-model-spec.ts';
export type { ModelSpec } from './model/model-spec.ts';
export { TextTokenizer, type TokenizedText } from './tokenization/text-tokenizer.ts';
export { planBatches, type BatchPlan, type BatchLimits } from './batching/plan-batches.ts';
export { ModelLoadError, EncoderInputError } from './errors/index.ts';
export {
  resolveModel,
  DEFAULT_MODEL_REPO,
  BUNDLED_REFERENCE_MODEL_DIR,
  type ResolvedModel,
  type ResolveModelOptions,
  type ModelSource,
} from './model/resolve-model.ts';
export * from './download/index.ts';
