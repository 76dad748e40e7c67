export { pullModel, type PullModelOptions, type PulledModel } from './pull-model.ts';
export {
  findCachedModel,
  defaultCacheDir,
  type FindCachedModelOptions,
  type HubEnv,
} from './cache-layout.ts';
export { defaultModelFiles, onnxModelFile, type ModelFileFilter } from './model-files.ts';
export type { ProgressEvent } from './download-file.ts';
export type { RetryOptions } from './hub-http.ts';
export { ModelDownloadError, type ModelDownloadErrorCode } from './errors/index.ts';
