import type { FastifyInstance } from 'fastify';
import { INGEST_STATES, readIngestStatus } from '@embedline/pipeline';
import type { CollectionInfo } from '@embedline/store';
import type { RouteContext } from '../context.ts';
import { requireScope } from '../auth.ts';
import { UnknownCollectionError } from '../errors/unknown-collection-error.ts';
import { collectionNameSchema, errorResponses } from '../schemas.ts';
import { callStore } from '../store-access.ts';
import { withTimeout } from '@embedline/ops';

/** How long the collection routes wait for Redis before answering without the ingest status. */
export const REDIS_TIMEOUT_MS = 2000;

const collectionSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    count: { type: 'integer', description: 'points stored' },
    dimension: { type: 'integer' },
    distance: { type: 'string', enum: ['dot'] },
    finalized: { type: 'boolean', description: 'whether the index was built since the last write' },
  },
  required: ['name', 'count', 'dimension', 'distance', 'finalized'],
} as const;

const ingestSchema = {
  type: 'object',
  description: 'the ingest manifest in Redis; state "unavailable" when Redis did not answer',
  properties: {
    state: {
      type: 'string',
      enum: [...INGEST_STATES, 'unavailable'],
    },
    detail: { type: 'string' },
    corpus: { type: 'string' },
    accepted_records: { type: 'integer' },
    rejected_records: { type: 'integer' },
    done_records: { type: 'integer' },
    total_shards: { type: 'integer' },
    done_shards: { type: 'integer' },
    sealed: { type: 'boolean' },
    failed_shards: { type: 'integer' },
    started_at: { type: 'string', format: 'date-time' },
    finalized_at: { type: 'string', format: 'date-time' },
    passages_per_second: { type: 'number' },
    eta_seconds: { type: 'number' },
  },
  required: ['state'],
} as const;

/** GET /v1/collections and /v1/collections/:name. */
export async function collectionRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const read = requireScope(ctx.keyring, 'read');
  app.get(
    '/v1/collections',
    {
      onRequest: read,
      preValidation: ctx.rateLimit,
      schema: {
        summary: 'List collections',
        tags: ['collections'],
        response: {
          200: {
            type: 'object',
            properties: { collections: { type: 'array', items: collectionSchema } },
            required: ['collections'],
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const names = await callStore(ctx.metrics, 'list', () => ctx.store.listCollections());
      const infos = await Promise.all(
        names.map((name) => callStore(ctx.metrics, 'describe', () => ctx.store.describe(name))),
      );
      // A collection dropped between the two calls is simply not listed.
      return { collections: infos.filter((info): info is CollectionInfo => info !== undefined).map(toJson) };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/collections/:name',
    {
      onRequest: read,
      preValidation: ctx.rateLimit,
      schema: {
        summary: 'Describe a collection',
        description: 'Point count, dimension, distance, and the ingest status from the Redis manifest.',
        tags: ['collections'],
        params: { type: 'object', properties: { name: collectionNameSchema }, required: ['name'] },
        response: {
          200: { ...collectionSchema, properties: { ...collectionSchema.properties, ingest: ingestSchema } },
          ...errorResponses,
          404: { $ref: 'ErrorBody#' },
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const info = await callStore(ctx.metrics, 'describe', () => ctx.store.describe(name));
      if (info === undefined) throw await unknownCollection(ctx, name, request.log);
      return { ...toJson(info), ingest: await ingestStatus(ctx, name, request.log) };
    },
  );
}

function toJson(info: CollectionInfo) {
  return {
    name: info.name,
    count: info.count,
    dimension: info.dimension,
    distance: info.distance,
    finalized: info.finalized,
  };
}

/**
 * The 404 of a collection the store does not have. Until the first shard of an ingest is stored, the
 * collection is only in the Redis manifest: then the message says so, with the ingest's state and shards.
 */
export async function unknownCollection(
  ctx: RouteContext,
  name: string,
  log: { warn: (obj: object, msg: string) => void },
): Promise<UnknownCollectionError> {
  const ingest = await ingestStatus(ctx, name, log);
  if (
    !['enqueuing', 'embedding', 'stalled-on-failures'].includes(ingest.state) ||
    !('done_shards' in ingest)
  ) {
    return new UnknownCollectionError(name);
  }
  const shards =
    ingest.total_shards > 0
      ? `${ingest.done_shards} of ${ingest.total_shards} shards done`
      : 'no shard enqueued yet';
  const failed = ingest.failed_shards > 0 ? `, ${ingest.failed_shards} failed` : '';
  return new UnknownCollectionError(name, `its ingest is ${ingest.state} (${shards}${failed})`);
}

async function ingestStatus(
  ctx: RouteContext,
  name: string,
  log: { warn: (obj: object, msg: string) => void },
) {
  // Not connected: say so at once rather than queue commands behind a reconnect.
  if (ctx.redis.status !== 'ready')
    return { state: 'unavailable', detail: `Redis connection is ${ctx.redis.status}` };
  let status;
  try {
    status = await withTimeout(readIngestStatus(ctx.redis, ctx.queuePrefix, name), REDIS_TIMEOUT_MS, 'Redis');
  } catch (error) {
    log.warn({ err: error }, 'ingest status unavailable');
    return { state: 'unavailable', detail: (error as Error).message };
  }
  const s = status.snapshot;
  if (s === undefined) return { state: status.state };
  return {
    state: status.state,
    corpus: s.corpus,
    accepted_records: s.acceptedRecords,
    rejected_records: s.rejectedRecords,
    done_records: s.doneRecords,
    total_shards: s.totalShards,
    done_shards: s.doneShards,
    sealed: s.sealed,
    failed_shards: status.deadLetters.length,
    started_at: new Date(s.startedAt).toISOString(),
    ...(s.finalizedAt === undefined ? {} : { finalized_at: new Date(s.finalizedAt).toISOString() }),
    ...(status.passagesPerSecond === undefined ? {} : { passages_per_second: status.passagesPerSecond }),
    ...(status.etaSeconds === undefined ? {} : { eta_seconds: status.etaSeconds }),
  };
}
