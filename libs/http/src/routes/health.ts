import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { withTimeout } from '../with-timeout.ts';

/** How long each readiness check may take. */
export const READY_CHECK_TIMEOUT_MS = 2000;

const checkSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
  required: ['ok'],
} as const;

const readySchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', properties: { model: checkSchema, store: checkSchema, redis: checkSchema } },
  },
  required: ['ready', 'checks'],
} as const;

/** GET /healthz (the process answers), GET /readyz (model loaded, store and Redis reachable). Open routes. */
export async function healthRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        tags: ['operations'],
        response: {
          200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: model loaded, store and Redis reachable',
        tags: ['operations'],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const { dimension, modelDir } = ctx.encoder.describe();
      const [store, redis] = await Promise.all([
        check(() => ctx.store.listCollections(), 'store'),
        check(() => ctx.redis.ping(), 'Redis'),
      ]);
      const checks = { model: { ok: true, detail: `${modelDir}, ${dimension}-d` }, store, redis };
      const ready = store.ok && redis.ok;
      if (!ready) reply.code(503).header('retry-after', '5');
      return { ready, checks };
    },
  );
}

async function check(probe: () => Promise<unknown>, what: string): Promise<{ ok: boolean; detail?: string }> {
  try {
    await withTimeout(probe(), READY_CHECK_TIMEOUT_MS, what);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
