import type { preHandlerAsyncHookHandler } from 'fastify';
import type { RedisClient } from '@embedline/queue';
import type { VectorStore } from '@embedline/store';
import type { ApiKeyring } from './api-keys.ts';
import type { ApiMetrics } from './metrics.ts';
import type { QueryEncoder } from './query-encoder.ts';
import type { SearchService } from './search-service.ts';

/** Request limits: every text-taking route enforces the first two in its schema; search the last. */
export interface TextLimits {
  readonly maxQueryChars: number;
  readonly maxBatchQueries: number;
  /** Hits one search may ask for, queries x top_k. */
  readonly maxSearchHits: number;
}

/** What the route plugins share (built once by buildApiServer). */
export interface RouteContext {
  readonly store: VectorStore;
  readonly redis: RedisClient;
  readonly queuePrefix: string;
  readonly encoder: QueryEncoder;
  readonly search: SearchService;
  readonly metrics: ApiMetrics;
  readonly keyring: ApiKeyring;
  readonly limits: TextLimits;
  readonly defaultCollection?: string;
  /**
   * The rate limit of the routes callers pay for (their preValidation hook: after auth, before the body is
   * judged, so that bad requests count too): one budget per key (or address), shared by them all.
   */
  readonly rateLimit: preHandlerAsyncHookHandler;
}
