import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandling } from './error-handler.ts';

// A bare app set up as buildApiServer sets up its own (strict Ajv, JSON only), with one route whose body has
// a closed schema: the error answers of the API without its encoder, store and Redis.
describe('error answers name the input and the problem', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify({
      ajv: {
        customOptions: {
          coerceTypes: false,
          removeAdditional: false,
          allErrors: false,
          allowUnionTypes: true,
        },
      },
    });
    app.removeContentTypeParser('text/plain');
    installErrorHandling(app);
    app.post(
      '/echo',
      {
        schema: {
          body: {
            type: 'object',
            required: ['query'],
            additionalProperties: false,
            properties: {
              query: { type: 'string' },
              top_k: { type: 'integer' },
              filter: {
                type: 'object',
                additionalProperties: { type: 'object', additionalProperties: false, properties: { eq: {} } },
              },
            },
          },
        },
      },
      async (request) => request.body,
    );
    await app.ready();
  });
  after(() => app.close());

  const post = (payload: string, contentType?: string) =>
    app.inject({
      method: 'POST',
      url: '/echo',
      payload,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  test('an unknown property is named (a typo like topK for top_k)', async () => {
    const response = await post(JSON.stringify({ query: 'x', topK: 5 }), 'application/json');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      statusCode: 400,
      code: 'invalid_request',
      error: 'Bad Request',
      message: 'body must NOT have additional properties ("topK" is not a field of this request)',
    });
    const nested = await post(
      JSON.stringify({ query: 'x', filter: { year: { between: [1, 2] } } }),
      'application/json',
    );
    assert.match(
      nested.json().message,
      /^body\/filter\/year must NOT have additional properties \("between" is not a field/,
    );
  });

  test('a content type other than JSON is a 415 naming the type sent and the one to send', async () => {
    const response = await post('query=x', 'text/plain');
    assert.equal(response.statusCode, 415);
    assert.deepEqual(response.json(), {
      statusCode: 415,
      code: 'unsupported_media_type',
      error: 'Unsupported Media Type',
      message:
        'content type "text/plain" is not accepted: send a JSON body with content-type: application/json',
    });
    const form = await post('query=x', 'application/x-www-form-urlencoded');
    assert.match(form.json().message, /^content type "application\/x-www-form-urlencoded" is not accepted/);
  });

  test('other validation errors keep their message', async () => {
    const response = await post(JSON.stringify({ query: 'x', top_k: '5' }), 'application/json');
    assert.equal(response.json().message, 'body/top_k must be integer');
  });
});
