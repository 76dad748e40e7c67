import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { Logger } from '@embedline/config';
import { QUEUES, queueOptions, type RedisClient } from '@embedline/queue';
import type { RouteContext } from '../context.ts';
import { requireScope } from '../auth.ts';
import { errorBody } from '../error-handler.ts';

export const ADMIN_QUEUES_PATH = '/admin/queues';

/**
 * The pipeline's queues in Bull Board, behind the admin key (header, Bearer, or Basic with the key as
 * password so a browser can log in). Bull Board's own routes carry no schemas and are hidden from the
 * OpenAPI document.
 */
export async function adminQueueRoutes(
  app: FastifyInstance,
  ctx: RouteContext & { queues: Queue[] },
): Promise<void> {
  const board = new FastifyAdapter();
  board.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({ queues: ctx.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board });
  // Bull Board answers its own errors (as 500 {error, message}, the message the Redis client's): in this
  // API's error body instead, and a Redis that is not connected as the 503 it is.
  const answer = (error: Error & { statusCode?: number }): { status: number; body: object } => {
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return { status: error.statusCode, body: errorBody(error.statusCode, error.message) };
    }
    if (ctx.redis.status !== 'ready') return { status: 503, body: redisUnavailable(ctx) };
    app.log.error({ err: error }, 'queue dashboard error');
    return {
      status: 500,
      body: errorBody(500, 'internal error (logged on the server)', 'internal_error'),
    };
  };
  // Its adapter sends any status; its typings list only those Bull Board uses itself (no 503).
  board.setErrorHandler(answer as Parameters<FastifyAdapter['setErrorHandler']>[0]);
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', requireScope(ctx.keyring, 'admin'));
      // Its data routes wait for Redis (BullMQ waits for a connection forever): a 503 at once instead.
      admin.addHook('onRequest', async (request, reply) => {
        if (request.url.startsWith(`${ADMIN_QUEUES_PATH}/api/`) && ctx.redis.status !== 'ready') {
          return reply.code(503).send(redisUnavailable(ctx));
        }
      });
      admin.addHook('onSend', async (_request, reply, payload) => {
        if (reply.statusCode === 503) reply.header('retry-after', String(REDIS_RETRY_AFTER_S));
        return payload;
      });
      await admin.register(board.registerPlugin());
    },
    { prefix: ADMIN_QUEUES_PATH },
  );
}

/** Seconds a dashboard client should wait when Redis is not connected. */
const REDIS_RETRY_AFTER_S = 5;

function redisUnavailable(ctx: RouteContext) {
  const message = `the queue dashboard needs Redis, which is not connected (${ctx.redis.status}); retry after ${REDIS_RETRY_AFTER_S} s`;
  return errorBody(503, message, 'redis_unavailable');
}


/** The pipeline's queues (dashboard, queue-depth metrics) on the server's Redis connection. */
export function pipelineQueues(redis: RedisClient, prefix: string, log: Logger): Queue[] {
  const bullmqOptions = queueOptions(redis, prefix);
  return Object.values(QUEUES).map((name) => {
    const queue = new Queue(name, bullmqOptions);
    // Connection errors surface where the queues are used (/readyz, metrics, dashboard); the server's
    // Redis client already logs them once.
    queue.on('error', (error) => log.debug({ err: error, queue: name }, 'queue connection error'));
    return queue;
  });
}
