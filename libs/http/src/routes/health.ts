import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { checkResultSchema, runReadinessChecks, type CheckResult } from '@embedline/ops';
import { modelName, withoutPaths } from '../public-detail.ts';
import { retryAfter } from '../schemas.ts';

const readySchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: {
      type: 'object',
      properties: { model: checkResultSchema, store: checkResultSchema, redis: checkResultSchema },
    },
  },
  required: ['ready', 'checks'],
} as const;

/**
 * GET /healthz (the process answers), GET /readyz (what serving needs: model loaded, store reachable; Redis
 * reported too). Open routes.
 */
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
          503: { $ref: 'ErrorBody#', headers: retryAfter }, // shutting down (draining.ts)
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: model loaded and store reachable (Redis reported, not required)',
        tags: ['operations'],
        security: [], // open: no key
        // 503: not ready (the report), or shutting down (an ErrorBody, code shutting_down: draining.ts).
        response: {
          200: readySchema,
          503: { anyOf: [readySchema, { $ref: 'ErrorBody#' }], headers: retryAfter },
        },
      },
    },
    async (_request, reply) => {
      const { dimension, modelDir, variant } = ctx.encoder.describe();
      const { checks } = await runReadinessChecks({
        store: () => ctx.store.listCollections(),
        Redis: async () => {
          // Not connected: say so, rather than the client's "Reached the max retries per request limit".
          if (ctx.redis.status !== 'ready') {
            throw new Error(`Redis is not connected (${ctx.redis.status}); search and embed do not need it`);
          }
          return ctx.redis.ping();
        },
      });
      // Search and embed need the model and the store only. Without Redis, ingest status reads
      // "unavailable" and queue metrics are empty on every replica alike: taking them all out of
      // service for it would turn a Redis restart into a search outage.
      const ready = checks.store!.ok;
      if (!ready) reply.code(503).header('retry-after', '5');
      // An open route: the model by name and errors without file-system paths (the logs have them).
      const model = { ok: true, detail: `${modelName(modelDir)} (${variant}), ${dimension}-d` };
      return {
        ready,
        checks: { model, store: publicCheck(checks.store!), redis: publicCheck(checks.Redis!) },
      };
    },
  );
}

function publicCheck(result: CheckResult): CheckResult {
  return result.detail === undefined ? result : { ...result, detail: withoutPaths(result.detail) };
}
