import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { retryAfter } from '../schemas.ts';

/** GET /metrics: Prometheus text format. Open, like /healthz: scrapers run inside the cluster. */
export async function metricsRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Request latency, encoder batch sizes and time, query cache, store latency, queue depths.',
        tags: ['operations'],
        security: [], // open: no key
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, 503: { $ref: 'ErrorBody#', headers: retryAfter } },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );
}
