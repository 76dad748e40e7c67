import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { answerFrameworkError, installErrorHandling } from './error-handler.ts';

// A bare app set up as buildApiServer sets up its own (strict Ajv, JSON only), with one route whose body has
// a closed schema: the error answers of the API without its encoder, store and Redis.
describe('error answers name the input and the problem', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify({
      bodyLimit: 1024,
      frameworkErrors: answerFrameworkError,
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
    app.get('/things/:name', async (request) => request.params);
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
    assert.equal(
      nested.json().message,
      'body/filter/year: "between" is not a condition (eq, ne, in, gt, gte, lt, lte)',
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

  test("Fastify's own errors get this API's codes and say what is wrong", async () => {
    const cases: [() => Promise<{ statusCode: number; json: () => unknown }>, object][] = [
      [
        () => post(JSON.stringify({ query: 'x'.repeat(2000) }), 'application/json'),
        {
          statusCode: 413,
          code: 'body_too_large',
          error: 'Payload Too Large',
          message: "the body is larger than this server's limit of 1024 bytes (EMBEDLINE_API_BODY_LIMIT)",
        },
      ],
      [
        () => post('', 'application/json'),
        {
          statusCode: 400,
          code: 'malformed_json',
          error: 'Bad Request',
          message: 'the body is empty: send a JSON object with content-type: application/json',
        },
      ],
      [
        () => app.inject({ method: 'GET', url: '/things/%ZZ' }),
        {
          statusCode: 400,
          code: 'bad_url',
          error: 'Bad Request',
          message: 'the path "/things/%ZZ" is not valid: it has a malformed percent-encoding',
        },
      ],
      [
        () => app.inject({ method: 'GET', url: `/things/${'a'.repeat(101)}` }),
        {
          statusCode: 414,
          code: 'uri_too_long',
          error: 'URI Too Long',
          message: `the path "/things/${'a'.repeat(101)}" has a parameter over the length limit`,
        },
      ],
    ];
    for (const [send, expected] of cases) {
      const response = await send();
      assert.deepEqual(response.json(), expected);
      assert.equal(response.statusCode, (expected as { statusCode: number }).statusCode);
    }
  });

  test('a path served with other methods is a 405 listing them; a trailing slash is pointed out', async () => {
    const get = await app.inject({ method: 'GET', url: '/echo?x=1' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.deepEqual(get.json(), {
      statusCode: 405,
      code: 'method_not_allowed',
      error: 'Method Not Allowed',
      message: 'GET is not allowed on /echo (allowed: POST)',
    });
    const post = await app.inject({ method: 'POST', url: '/things/a' });
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const slash = await app.inject({ method: 'POST', url: '/echo/' });
    assert.equal(slash.statusCode, 404);
    assert.equal(slash.json().message, 'no route POST /echo/; did you mean /echo?');
    const none = await app.inject({ method: 'GET', url: '/nothing' });
    assert.equal(none.statusCode, 404);
    assert.deepEqual(none.json(), {
      statusCode: 404,
      code: 'not_found',
      error: 'Not Found',
      message: 'no route GET /nothing (see /docs)',
    });
  });
});
