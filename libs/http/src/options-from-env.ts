import type { EmbedlineEnv } from '@embedline/config';
import { readApiKeysFile } from './api-keys.ts';
import type { ApiOptions } from './server.ts';

/** The server's options from the EMBEDLINE_API_* variables (libs/config), keys file included. */
export function apiOptionsFromEnv(env: EmbedlineEnv, publicDir?: string): ApiOptions {
  const fromFile =
    env.EMBEDLINE_API_KEYS_FILE === undefined
      ? { read: [], admin: [] }
      : readApiKeysFile(env.EMBEDLINE_API_KEYS_FILE);
  return {
    readKeys: [...env.EMBEDLINE_API_READ_KEYS, ...fromFile.read],
    adminKeys: [...env.EMBEDLINE_API_ADMIN_KEYS, ...fromFile.admin],
    corsOrigins: env.EMBEDLINE_API_CORS_ORIGINS,
    rateLimitPerMinute: env.EMBEDLINE_API_RATE_LIMIT,
    defaultCollection: env.EMBEDLINE_API_DEFAULT_COLLECTION,
    maxQueryChars: env.EMBEDLINE_API_MAX_QUERY_CHARS,
    maxBatchQueries: env.EMBEDLINE_API_MAX_BATCH_QUERIES,
    bodyLimit: env.EMBEDLINE_API_BODY_LIMIT,
    batchWaitMs: env.EMBEDLINE_API_BATCH_WAIT_MS,
    batchMaxTexts: env.EMBEDLINE_API_BATCH_MAX_TEXTS,
    queryCacheSize: env.EMBEDLINE_API_QUERY_CACHE_SIZE,
    memoryIndexBytes: env.EMBEDLINE_API_MEMORY_INDEX_MIB * 2 ** 20,
    memoryIndexRefreshMs: env.EMBEDLINE_API_MEMORY_INDEX_REFRESH_MS,
    publicDir,
  };
}
