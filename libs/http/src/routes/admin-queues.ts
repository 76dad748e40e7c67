import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { Logger } from '@embedline/config';
import { QUEUES, queueOptions, type RedisClient } from '@embedline/queue';
import type { RouteContext } from '../context.ts';
import { requireScope } from '../auth.ts';

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
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', requireScope(ctx.keyring, 'admin'));
      await admin.register(board.registerPlugin());
    },
    { prefix: ADMIN_QUEUES_PATH },
  );
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
