import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { checkResultSchema, runReadinessChecks } from './readiness.ts';

export interface OpsServerOptions {
  /** What GET /metrics serves. */
  readonly registry: Registry;
  /** Probes GET /readyz runs, by name (e.g. redis, store): ready when every one answers in time. */
  readonly readiness: Readonly<Record<string, () => Promise<unknown> | unknown>>;
}

const readySchema = {
  type: 'object',
  properties: { ready: { type: 'boolean' }, checks: { type: 'object', additionalProperties: checkResultSchema } },
  required: ['ready', 'checks'],
} as const;

/**
 * The operations endpoints of a process that serves no API (a worker): GET /healthz (the process answers, so its
 * event loop is not stuck), GET /readyz (its dependencies answer), GET /metrics (Prometheus). For Kubernetes'
 * probes and Prometheus' scrapes; nothing else is served, so it needs no auth and binds where the caller says.
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get(
    '/healthz',
    { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } } },
    async () => ({ status: 'ok' }),
  );
  app.get('/readyz', { schema: { response: { 200: readySchema, 503: readySchema } } }, async (_request, reply) => {
    const report = await runReadinessChecks(options.readiness);
    if (!report.ready) reply.code(503).header('retry-after', '5');
    return report;
  });
  app.get('/metrics', { schema: { response: { 200: { type: 'string' } } } }, async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  return app;
}
