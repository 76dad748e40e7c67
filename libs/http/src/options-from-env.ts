import type { EmbedlineEnv } from '@embedline/config';
import { MIN_KEY_LENGTH, readApiKeysFile } from './api-keys.ts';
import type { ApiOptions } from './server.ts';

/**
 * The server's options from the EMBEDLINE_API_* variables (libs/config), keys file included. A key too
 * short is refused here, named by where it came from, so that the API fails before its model loads.
 */
export function apiOptionsFromEnv(env: EmbedlineEnv, publicDir?: string): ApiOptions {
  const path = env.EMBEDLINE_API_KEYS_FILE;
  const fromFile = path === undefined ? { read: [], admin: [] } : readApiKeysFile(path);
  checkKeyLengths(env.EMBEDLINE_API_READ_KEYS, 'EMBEDLINE_API_READ_KEYS: key');
  checkKeyLengths(env.EMBEDLINE_API_ADMIN_KEYS, 'EMBEDLINE_API_ADMIN_KEYS: key');
  checkKeyLengths(fromFile.read, `API keys file ${path}: read key`);
  checkKeyLengths(fromFile.admin, `API keys file ${path}: admin key`);
  checkOrigins(env.EMBEDLINE_API_CORS_ORIGINS);
  return {
    readKeys: [...env.EMBEDLINE_API_READ_KEYS, ...fromFile.read],
    adminKeys: [...env.EMBEDLINE_API_ADMIN_KEYS, ...fromFile.admin],
    corsOrigins: env.EMBEDLINE_API_CORS_ORIGINS,
    rateLimitPerMinute: env.EMBEDLINE_API_RATE_LIMIT,
    trustProxy: env.EMBEDLINE_API_TRUST_PROXY,
    defaultCollection: env.EMBEDLINE_API_DEFAULT_COLLECTION,
    maxQueryChars: env.EMBEDLINE_API_MAX_QUERY_CHARS,
    maxBatchQueries: env.EMBEDLINE_API_MAX_BATCH_QUERIES,
    maxSearchHits: env.EMBEDLINE_API_MAX_SEARCH_HITS,
    requestTimeoutMs: env.EMBEDLINE_API_REQUEST_TIMEOUT_MS,
    bodyLimit: env.EMBEDLINE_API_BODY_LIMIT,
    batchWaitMs: env.EMBEDLINE_API_BATCH_WAIT_MS,
    batchMaxTexts: env.EMBEDLINE_API_BATCH_MAX_TEXTS,
    queryCacheSize: env.EMBEDLINE_API_QUERY_CACHE_SIZE,
    memoryIndexBytes: env.EMBEDLINE_API_MEMORY_INDEX_MIB * 2 ** 20,
    memoryIndexRefreshMs: env.EMBEDLINE_API_MEMORY_INDEX_REFRESH_MS,
    publicDir,
  };
}

function checkKeyLengths(keys: readonly string[], what: string): void {
  keys.forEach((key, i) => {
    if (key.length < MIN_KEY_LENGTH) {
      throw new RangeError(
        `${what} #${i + 1} is ${key.length} characters; keys need at least ${MIN_KEY_LENGTH}`,
      );
    }
  });
}

/**
 * Browsers send `Origin: https://app.example` and CORS compares it as a string: an entry with a path or a
 * trailing slash (`https://app.example/`) would never match, silently. `*` allows any origin.
 */
function checkOrigins(origins: readonly string[]): void {
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: string | undefined;
    try {
      parsed = new URL(origin).origin;
    } catch {
      parsed = undefined;
    }
    if (parsed !== origin) {
      const hint = parsed === undefined || parsed === 'null' ? '' : ` (did you mean ${parsed}?)`;
      throw new RangeError(
        `EMBEDLINE_API_CORS_ORIGINS: "${origin}" is not an origin: scheme://host[:port], no path or trailing slash, or *${hint}`,
      );
    }
  }
}
