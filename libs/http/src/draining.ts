import type { FastifyInstance } from 'fastify';
import { errorBody } from './error-handler.ts';

/** Seconds a client should wait before retrying elsewhere: another replica is usually serving already. */
const DRAIN_RETRY_AFTER_S = 1;

/**
 * While `close()` drains (SIGTERM), requests that still arrive (on a keep-alive connection that was busy,
 * or pipelined) get a 503 in this API's error body, with Retry-After and `Connection: close` so that the
 * client reconnects, through the load balancer, to a replica that is not stopping. Fastify's own
 * `return503OnClosing` answers a body of its own, without a code or Retry-After (hence it is turned off).
 * Requests in flight finish, and their answers close the connection. Registered after CORS, so that a
 * browser script can read the answer too.
 */
export function answerWhileDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!draining) return;
    const message = `the server is shutting down: retry after ${DRAIN_RETRY_AFTER_S} s (another replica will answer)`;
    request.log.info('refused while draining');
    // Serialized as it is: a route's own 503 schema (/readyz's report) would fail on an error body (a 500).
    return reply
      .code(503)
      .headers({ 'retry-after': String(DRAIN_RETRY_AFTER_S), connection: 'close' })
      .serializer(JSON.stringify)
      .send(errorBody(503, message, 'shutting_down'));
  });
  // The answers of requests in flight close their connection too: the client's next request goes to
  // another replica at once, instead of arriving here to be refused.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
}
