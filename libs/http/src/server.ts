import type http from 'node:http';
import { existsSync } from 'node:fs';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type preHandlerAsyncHookHandler,
} from 'fastify';
import type { Queue } from 'bullmq';
import type { Logger } from '@embedline/config';
import { MemoryIndex } from '@embedline/memory-index';
import { withTimeout } from '@embedline/ops';
import type { RedisClient } from '@embedline/queue';
import type { VectorStore } from '@embedline/store';
import { API_KEY_HEADER } from './auth.ts';
import { ApiKeyring } from './api-keys.ts';
import type { RouteContext } from './context.ts';
import {
  answerClientError,
  answerFrameworkError,
  errorBodySchema,
  installErrorHandling,
} from './error-handler.ts';
import { answerWhileDraining } from './draining.ts';
import { ApiError } from './errors/api-error.ts';
import { ApiMetrics, type QueueDepths } from './metrics.ts';
import { refuseEncodedBodies } from './request-encoding.ts';
import { echoRequestId, REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { QueryEncoder, type EmbeddingModel } from './query-encoder.ts';
import { adminQueueRoutes, pipelineQueues } from './routes/admin-queues.ts';
import { collectionRoutes, REDIS_TIMEOUT_MS } from './routes/collections.ts';
import { embedRoutes, TRUNCATED_INPUTS_HEADER } from './routes/embed.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { DEFAULT_MAX_SEARCH_HITS, searchRoutes } from './routes/search.ts';
import { SearchService } from './search-service.ts';

/** What the server runs on; the caller owns these and closes them after the server (see apps/api). */
export interface ApiDeps {
  readonly encoder: EmbeddingModel;
  readonly store: VectorStore;
  /**
   * For the ingest manifest, queue depths, the dashboard and /readyz: one Redis or a cluster. Commands
   * should fail, not hang, when Redis is down (`createRedisConnection(url, { failFast: true })`).
   */
  readonly redis: RedisClient;
  /** BullMQ key prefix of the pipeline (EMBEDLINE_QUEUE_PREFIX). */
  readonly queuePrefix: string;
  /** Request logs go here, secrets redacted (`createLogger('api')`; level `silent` in tests). */
  readonly logger: Logger;
}

/** Every tunable of the server; `apiOptionsFromEnv` reads them from the EMBEDLINE_API_* variables. */
export interface ApiOptions {
  readonly readKeys: readonly string[];
  readonly adminKeys: readonly string[];
  /** Origins CORS allows (`*` for any); empty = no CORS headers. */
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMinute: number;
  /**
   * Whose X-Forwarded-For gives the client's address (Fastify's trustProxy): without it, every caller behind an
   * ingress has the ingress's address, and callers without a key share one rate-limit budget. Default false.
   */
  readonly trustProxy?: boolean | number | readonly string[];
  readonly defaultCollection?: string;
  readonly maxQueryChars: number;
  readonly maxBatchQueries: number;
  /** Hits one search may ask for, queries x top_k (a bound on the answer's size); default 10,000. */
  readonly maxSearchHits?: number;
  readonly bodyLimit: number;
  /** How long a client may take to send a whole request (ms; 0 = no bound); default 30 s. Answered 408. */
  readonly requestTimeoutMs?: number;
  readonly batchWaitMs: number;
  readonly batchMaxTexts: number;
  readonly queryCacheSize: number;
  /**
   * Memory the API may hold finalized embedded-store collections in, to search them exactly and a
   * micro-batch at a time (see @embedline/memory-index); 0 searches only the store. Default 1 GiB.
   */
  readonly memoryIndexBytes?: number;
  /** How often the memory index checks a collection for writes (ms); default 1000. */
  readonly memoryIndexRefreshMs?: number;
  /** Static files served at `/` (the search page) when the folder exists. */
  readonly publicDir?: string;
}

/** EMBEDLINE_API_REQUEST_TIMEOUT_MS's default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Node's server options for a request timeout. Fastify sets the server's requestTimeout after creating it, when
 * Node has already set headersTimeout to its 60 s default, which then wins (measured: a 300 ms bound answered
 * after 60 s); so both go to Node at creation, headersTimeout no longer than the request's. Node checks them
 * every connectionsCheckingInterval (30 s by default): at a tenth of the bound here, between 100 ms and 30 s.
 */
function requestTimeouts(requestTimeoutMs: number): http.ServerOptions {
  if (requestTimeoutMs === 0) return { requestTimeout: 0 };
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.round(requestTimeoutMs / 10))),
  };
}

/** The memory index's budget when the options name none (EMBEDLINE_API_MEMORY_INDEX_MIB's default). */
const DEFAULT_MEMORY_INDEX_BYTES = 1024 * 2 ** 20;

/** Request logs carry the headers (user agent, origin, forwarded-for help debugging); keys are redacted. */
function requestForLog(request: FastifyRequest) {
  return { method: request.method, url: request.url, remoteAddress: request.ip, headers: request.headers };
}

/** ApiOptions.trustProxy as Fastify takes it: its types have no hop count, which is a function of the hop. */
function fastifyTrustProxy(
  trust: ApiOptions['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return typeof trust === 'object' ? [...trust] : (trust ?? false);
}

/** Log paths that could hold a secret: whatever serializer logs request headers gets them censored. */
export const REDACTED_LOG_PATHS = [
  `req.headers["${API_KEY_HEADER}"]`,
  'req.headers.authorization',
  `headers["${API_KEY_HEADER}"]`,
  'headers.authorization',
];

/** Fastify with this API's logging, limits, timeouts, validation and error answers (before any route). */
function createFastify(deps: ApiDeps, options: ApiOptions): FastifyInstance {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return Fastify({
    loggerInstance: deps.logger.child(
      {},
      { serializers: { req: requestForLog }, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } },
    ) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    requestTimeout: requestTimeoutMs,
    http: requestTimeouts(requestTimeoutMs),
    trustProxy: fastifyTrustProxy(options.trustProxy),
    // Strict validation: "10" is not a number and an unknown property is an error, never silently dropped.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true },
    },
    // Off: answerWhileDraining answers requests that arrive while closing, in this API's error body.
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError(requestTimeoutMs),
    genReqId: (request) => requestIdOf(request.headers[REQUEST_ID_HEADER]),
  });
}

/**
 * The query API as one Fastify instance: routes (each with a JSON schema), the OpenAPI document at
 * /openapi.json and docs at /docs, API-key auth, per-key rate limits, CORS, metrics, the queue dashboard.
 * Ready to `listen` or `inject`; `close()` drains in-flight requests first.
 */
export async function buildApiServer(deps: ApiDeps, options: ApiOptions): Promise<FastifyInstance> {
  const app = createFastify(deps, options);
  const keyring = new ApiKeyring({ read: options.readKeys, admin: options.adminKeys });
  if (!keyring.enabled)
    app.log.warn('no API keys configured: read routes are open to anyone who can reach this port');

  const queues = pipelineQueues(deps.redis, deps.queuePrefix, deps.logger);
  const memory = await MemoryIndex.create(deps.store, {
    budgetBytes: options.memoryIndexBytes ?? DEFAULT_MEMORY_INDEX_BYTES,
    refreshMs: options.memoryIndexRefreshMs,
    logger: deps.logger,
  });
  const ctx = buildContext(deps, options, keyring, queues, memory, await registerAccessControl(app, options));
  echoRequestId(app);
  answerWhileDraining(app);
  refuseEncodedBodies(app);
  app.addHook('onClose', async () => {
    await memory.close();
    await Promise.all(queues.map((queue) => queue.close()));
  });
  // JSON only: Fastify's default text/plain parser would turn a text body into a confusing "must be object".
  app.removeContentTypeParser('text/plain');
  app.addSchema(errorBodySchema);
  installErrorHandling(app);
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requestSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await registerCompression(app);
  await registerOpenApi(app);
  await registerRoutes(app, ctx, queues, options.publicDir);
  return app;
}

/** Bodies smaller than this go as they are: compressing them saves a few bytes and costs a zlib call. */
const COMPRESSION_THRESHOLD_BYTES = 1024;

/**
 * Answers compressed as the client's Accept-Encoding asks (brotli, else gzip), every route: 64 queries x
 * top_k 1,000 with payloads is tens of MB of JSON, 4-10x smaller compressed. Brotli at quality 4 (the
 * plugin's default; zlib's 11 would cost more CPU than the search). Request bodies are not decompressed:
 * they are small (a few KB of queries), so it would add an input format for no gain.
 */
async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    globalCompression: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: COMPRESSION_THRESHOLD_BYTES,
  });
}

/** The OpenAPI document, built from the routes' schemas (served by registerRoutes), and its docs at /docs. */
async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    // Shared schemas under their own names (components/schemas/ErrorBody), not def-0: clients generated
    // from the document get an `ErrorBody` type.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Embedline query API',
        version: '1',
        description: 'Semantic search over Embedline collections.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: API_KEY_HEADER },
          bearer: { type: 'http', scheme: 'bearer', description: 'the same API key, as a Bearer token' },
        },
      },
      // Either scheme; the open routes (health, readiness, metrics) say `security: []`.
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/**
 * CORS for the configured origins, and the rate limiter of the routes callers pay for: one preHandler, so
 * that they share one budget per API key (a limit in each route's `config` would count each route apart).
 */
async function registerAccessControl(
  app: FastifyInstance,
  options: ApiOptions,
): Promise<preHandlerAsyncHookHandler> {
  if (options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: options.corsOrigins.includes('*') ? true : [...options.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'accept', API_KEY_HEADER, 'authorization'],
      // A browser shows a script only the safelisted response headers unless told: the 429's and 503's
      // Retry-After and the rate-limit budget are for clients to read.
      exposedHeaders: [
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        TRUNCATED_INPUTS_HEADER,
        REQUEST_ID_HEADER,
      ],
    });
  }
  await app.register(rateLimit, {
    global: false,
    // Run by the routes as their preValidation hook (below): after auth (onRequest), so that the limit is
    // per key (callers without keys are limited per address), and before validation, so that it counts
    // invalid requests as well.
    keyGenerator: (request) => request.caller?.keyId ?? request.ip,
    errorResponseBuilder: (request, { max, ttl }) =>
      new ApiError(
        429,
        'rate_limited',
        `rate limit exceeded: ${max} requests a minute for this ${request.caller === undefined ? 'address' : 'API key'}; ` +
          `retry after ${Math.max(1, Math.ceil(ttl / 1000))} s`,
      ),
  });
  return app.rateLimit({ max: options.rateLimitPerMinute, timeWindow: 60_000 });
}

/** /openapi.json, the API's route plugins, then the search page's static files when the folder exists. */
async function registerRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  queues: Queue[],
  publicDir: string | undefined,
): Promise<void> {
  app.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } },
    async () => app.swagger(),
  );
  await app.register(searchRoutes, ctx);
  await app.register(embedRoutes, ctx);
  await app.register(collectionRoutes, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(metricsRoutes, ctx);
  await app.register(adminQueueRoutes, { ...ctx, queues });
  if (publicDir !== undefined && existsSync(publicDir)) {
    // swagger-ui already put a sendFile decorator on replies.
    await app.register(fastifyStatic, { root: publicDir, prefix: '/', decorateReply: false });
  }
}

function buildContext(
  deps: ApiDeps,
  options: ApiOptions,
  keyring: ApiKeyring,
  queues: Queue[],
  memory: MemoryIndex,
  rateLimit: preHandlerAsyncHookHandler,
): RouteContext {
  const queueDepths: QueueDepths = async () => {
    if (deps.redis.status !== 'ready') return [];
    try {
      return await withTimeout(readQueueDepths(queues), REDIS_TIMEOUT_MS, 'Redis');
    } catch (error) {
      deps.logger.warn({ err: error }, 'queue depths unavailable');
      return [];
    }
  };
  const metrics = new ApiMetrics(queueDepths);
  metrics.watchMemoryIndex(() => memory.usage());
  const encoder = new QueryEncoder(
    deps.encoder,
    {
      batchWaitMs: options.batchWaitMs,
      batchMaxTexts: options.batchMaxTexts,
      cacheSize: options.queryCacheSize,
    },
    metrics,
  );
  return {
    store: deps.store,
    redis: deps.redis,
    queuePrefix: deps.queuePrefix,
    encoder,
    search: new SearchService(deps.store, encoder, metrics, {
      memory,
      batchMaxQueries: options.batchMaxTexts,
    }),
    metrics,
    keyring,
    limits: {
      maxQueryChars: options.maxQueryChars,
      maxBatchQueries: options.maxBatchQueries,
      maxSearchHits: options.maxSearchHits ?? DEFAULT_MAX_SEARCH_HITS,
    },
    defaultCollection: options.defaultCollection,
    rateLimit,
  };
}

async function readQueueDepths(queues: readonly Queue[]) {
  const rows: { queue: string; state: string; jobs: number }[] = [];
  for (const queue of queues) {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
    for (const [state, jobs] of Object.entries(counts)) rows.push({ queue: queue.name, state, jobs });
  }
  return rows;
}
