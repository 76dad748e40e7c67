import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a proxy's request id looks like; anything else (spaces, newlines: a log-forging attempt) is replaced. */
const ACCEPTED_ID = /^[\w.:-]{1,128}$/;

/**
 * The id of a request: the one a proxy or client sent in X-Request-Id (so that its logs and ours join up),
 * else a new UUID (Fastify's own, req-1, req-2..., repeat on every replica and restart).
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED_ID.test(header) ? header : randomUUID();
}

/** Every answer carries its request's id: a client reporting a failure can name the log lines to read. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
