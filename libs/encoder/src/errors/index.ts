export { ModelLoadError } from './model-load-error.ts';
export { EncoderInputError } from './encoder-input-error.ts';
