export { buildApiServer, REDACTED_LOG_PATHS, type ApiDeps, type ApiOptions } from './server.ts';
export { apiOptionsFromEnv } from './options-from-env.ts';
export { ApiKeyring, readApiKeysFile, MIN_KEY_LENGTH, type Caller, type KeyScope } from './api-keys.ts';
export { API_KEY_HEADER } from './auth.ts';
export { MicroBatcher, type MicroBatcherOptions, type BatchReport, type RunBatch } from './micro-batcher.ts';
export {
  QueryEncoder,
  type EmbeddingModel,
  type QueryEncoderOptions,
  type QueryVector,
} from './query-encoder.ts';
export { matchesFilter, checkFilterFields, filterSchema, type Filter, type Condition } from './filter.ts';
export { MAX_FILTER_CANDIDATES, FIELD_SAMPLE_POINTS, type SearchResponse } from './search-service.ts';
export { DEFAULT_MAX_SEARCH_HITS, MAX_TOP_K } from './routes/search.ts';
export { ARROW_STREAM, TRUNCATED_INPUTS_HEADER } from './routes/embed.ts';
export { ADMIN_QUEUES_PATH } from './routes/admin-queues.ts';
export {
  ApiError,
  InvalidRequestError,
  UnknownCollectionError,
  StoreUnavailableError,
  ApiKeysFileError,
  STORE_RETRY_AFTER_S,
} from './errors/index.ts';
