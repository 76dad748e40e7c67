import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { checkResultSchema, runReadinessChecks } from '@embedline/ops';

const readySchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', properties: { model: checkResultSchema, store: checkResultSchema, redis: checkResultSchema } },
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
        security: [], // open: no key
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
        security: [], // open: no key
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const { dimension, modelDir } = ctx.encoder.describe();
      const { ready, checks } = await runReadinessChecks({
        store: () => ctx.store.listCollections(),
        Redis: () => ctx.redis.ping(),
      });
      if (!ready) reply.code(503).header('retry-after', '5');
      return { ready, checks: { model: { ok: true, detail: `${modelDir}, ${dimension}-d` }, store: checks.store, redis: checks.Redis } };
    },
  );
}
