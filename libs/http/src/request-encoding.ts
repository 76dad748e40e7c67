import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors/api-error.ts';

/**
 * A request body with a Content-Encoding (gzip, br...) is refused with a 415 naming it: read as JSON it would
 * be a baffling "not valid JSON" 400, and this API reads request bodies uncompressed only (they are small).
 */
export function refuseEncodedBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (request) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity') return;
    throw new ApiError(
      415,
      'unsupported_content_encoding',
      `content-encoding "${encoding}" is not accepted: send the request body uncompressed (responses are compressed on Accept-Encoding)`,
    );
  });
}
