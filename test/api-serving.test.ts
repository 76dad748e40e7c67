/**
 * How the query API serves what it answers: draining on close (SIGTERM), response compression, the bound on
 * a search's size, what the open routes show, and truncated queries made visible.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  ARROW_STREAM,
  DEFAULT_MAX_SEARCH_HITS,
  TRUNCATED_INPUTS_HEADER,
  type EmbeddingModel,
} from '@embedline/http';
import { ApiFixture, auth, READ_KEY } from './api-fixture.ts';

const json = { ...auth, 'content-type': 'application/json' };

/** An encoder that holds every encode until `release()`: a request stays in flight as long as a test needs. */
function gatedEncoder(fx: ApiFixture) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const started = new Promise<void>((resolve) => (entered = resolve));
  const model: EmbeddingModel = {
    encode: async (texts) => {
      entered();
      await gate;
      return fx.encoder.encode(texts);
    },
    describe: () => fx.encoder.describe(),
  };
  return { model, started, release };
}

/** A raw HTTP/1.1 connection: requests written as they are (a head may be sent in parts), and all it receives. */
function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const head = (method: string, path: string) =>
    `${method} ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\nx-api-key: ${READ_KEY}\r\n`;
  return { socket, head, closed };
}

describe('query API serving', { timeout: 300_000 }, () => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  before(async () => {
    fx = await ApiFixture.start();
    app = await fx.server();
  });
  after(async () => {
    await app.close();
    await fx.dispose();
  });

  for (const path of ['/v1/collections', '/readyz', '/healthz', '/metrics']) {
    test(`while draining, GET ${path} arriving on an open connection gets our 503: code, Retry-After, Connection: close`, async () => {
      const gated = gatedEncoder(fx);
      const server = await fx.server({}, { encoder: gated.model });
      await server.listen({ host: '127.0.0.1', port: 0 });
      const port = (server.server.address() as { port: number }).port;
      // One connection with a search in flight (close() waits for it), one with a request half sent.
      const busy = rawConnection(port);
      const body = JSON.stringify({ query: 'held in flight while draining' });
      busy.socket.write(
        busy.head('POST', '/v1/search') +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      const late = rawConnection(port);
      late.socket.write(late.head('GET', path));
      await gated.started;
      const closing = server.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      late.socket.write('\r\n'); // the request arrives while the server drains
      const refused = await late.closed;
      gated.release();
      const [answered] = await Promise.all([busy.closed, closing]);
      assert.match(answered, /^HTTP\/1\.1 200 /, 'the request in flight is answered');
      assert.match(answered, /\r\nconnection: close\r\n/i, 'and its answer closes the connection');
      assert.match(refused, /^HTTP\/1\.1 503 /);
      assert.match(refused, /\r\nretry-after: 1\r\n/i);
      assert.match(refused, /\r\nconnection: close\r\n/i);
      const error = JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4));
      assert.equal(error.code, 'shutting_down');
      assert.equal(error.statusCode, 503);
      assert.match(error.message, /shutting down/);
      const doc = (await app.inject('/openapi.json')).json();
      const documented = doc.paths[path].get.responses['503'];
      assert.equal(documented?.headers['retry-after'].schema.type, 'integer', `${path} documents its 503`);
    });
  }

  test('/readyz (open) and /v1/embed name the model, never its folder; a store error shows no path', async () => {
    const modelDir = fx.encoder.describe().modelDir;
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.model.detail, `tiny-model (fp32), ${fx.encoder.describe().dimension}-d`);
    assert.ok(!ready.body.includes(modelDir), ready.body);
    const embed = await app.inject({
      method: 'POST',
      url: '/v1/embed',
      headers: json,
      payload: { input: 'x' },
    });
    assert.equal(embed.json().model, 'tiny-model (fp32)');

    const broken = new Proxy(fx.store, {
      get: (store, key) =>
        key === 'listCollections'
          ? async () => {
              throw new Error('IO error: cannot open /var/lib/embedline/lancedb/docs.lance/_versions');
            }
          : Reflect.get(store, key, store),
    });
    const down = await fx.server({}, { store: broken });
    try {
      const answer = await down.inject('/readyz');
      assert.equal(answer.statusCode, 503);
      assert.equal(answer.json().checks.store.detail, 'IO error: cannot open <path>');
    } finally {
      await down.close();
    }
  });

  test('answers are compressed as Accept-Encoding asks (br, gzip), tiny ones and unasked ones are not', async () => {
    const body = { query: ['memory storage', 'wave antenna'], top_k: 40 };
    const ask = (encoding?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/search',
        headers: encoding === undefined ? json : { ...json, 'accept-encoding': encoding },
        payload: body,
      });
    await fx.holdInMemory(app); // every answer from the same index: the same scores to the last bit
    const plain = await ask();
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.rawPayload.length > 4096, `a large answer: ${plain.rawPayload.length} bytes`);
    const decoders = { gzip: gunzipSync, br: brotliDecompressSync } as const;
    for (const [asked, expected] of [
      ['gzip', 'gzip'],
      ['br', 'br'],
      ['gzip, deflate, br', 'br'],
      ['br;q=0.5, gzip', 'gzip'],
    ] as const) {
      const answer = await ask(asked);
      assert.equal(answer.headers['content-encoding'], expected, asked);
      assert.match(String(answer.headers.vary), /accept-encoding/i);
      assert.ok(
        answer.rawPayload.length < plain.rawPayload.length / 3,
        `${asked}: ${answer.rawPayload.length} bytes`,
      );
      assert.deepEqual(JSON.parse(decoders[expected](answer.rawPayload).toString()), plain.json());
    }
    const identity = await ask('identity');
    assert.equal(identity.headers['content-encoding'], undefined);
    const tiny = await app.inject({ url: '/healthz', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(tiny.headers['content-encoding'], undefined, 'bodies under 1 KiB go as they are');
    assert.deepEqual(tiny.json(), { status: 'ok' });
  });

  test('a search is bounded: queries x top_k over the limit is a 400 naming both and the limit', async () => {
    const ask = (server: FastifyInstance, query: string[], top_k: number) =>
      server.inject({ method: 'POST', url: '/v1/search', headers: json, payload: { query, top_k } });
    const eight = Array.from({ length: 8 }, (_, i) => `query ${i}`);
    assert.equal(
      (await ask(app, eight, 1000)).statusCode,
      200,
      `8 x 1000 is within the default ${DEFAULT_MAX_SEARCH_HITS}`,
    );
    const small = await fx.server({ maxSearchHits: 100 });
    try {
      assert.equal((await ask(small, ['a', 'b'], 50)).statusCode, 200, '2 x 50 = 100 is within 100');
      const refused = await ask(small, ['a', 'b', 'c'], 40);
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.json().code, 'search_too_large');
      assert.equal(
        refused.json().message,
        'this search asks for 3 queries x top_k 40 = 120 hits; this server answers at most 100 hits a request ' +
          '(queries x top_k): send fewer queries or a smaller top_k',
      );
      const doc = (await small.inject('/openapi.json')).json();
      const topK =
        doc.paths['/v1/search'].post.requestBody.content['application/json'].schema.properties.top_k;
      assert.match(topK.description, /queries x top_k is at most 100/);
    } finally {
      await small.close();
    }
  });

  test('a client that takes longer than the request timeout to send its request gets a 408 and is closed', async () => {
    const server = await fx.server({ requestTimeoutMs: 300 });
    try {
      await server.listen({ host: '127.0.0.1', port: 0 });
      const slow = rawConnection((server.server.address() as { port: number }).port);
      slow.socket.write(
        slow.head('POST', '/v1/search') + 'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"q',
      );
      const started = Date.now();
      const answer = await slow.closed;
      assert.match(answer, /^HTTP\/1\.1 408 /, answer);
      assert.ok(
        Date.now() - started < 10_000,
        "closed within the bound, not after Node's 30 s check interval",
      );
      // This API's error body (Fastify's own has no code), naming the bound and its setting.
      assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), {
        statusCode: 408,
        code: 'request_timeout',
        error: 'Request Timeout',
        message: 'the request was not received whole within 300 ms (EMBEDLINE_API_REQUEST_TIMEOUT_MS)',
      });
      // Bytes that are not HTTP get the same kind of body.
      const garbage = rawConnection((server.server.address() as { port: number }).port);
      garbage.socket.write('NOT HTTP AT ALL\r\n\r\n');
      const refused = await garbage.closed;
      assert.match(refused, /^HTTP\/1\.1 400 /, refused);
      assert.equal(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4)).code, 'bad_request');
      // Headers over Node's limit (16 KiB) get it too, as a 431.
      const bloated = rawConnection((server.server.address() as { port: number }).port);
      bloated.socket.write(`${bloated.head('GET', '/healthz')}x-filler: ${'a'.repeat(20_000)}\r\n\r\n`);
      const tooLarge = await bloated.closed;
      assert.match(tooLarge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/, tooLarge.slice(0, 200));
      assert.equal(JSON.parse(tooLarge.slice(tooLarge.indexOf('\r\n\r\n') + 4)).code, 'headers_too_large');
    } finally {
      await server.close();
    }
  });

  test('a query longer than the model reads (384 tokens) is still cut, and the answer says so', async () => {
    const long = Array.from({ length: 400 }, () => 'memory').join(' ');
    const server = await fx.server({ maxQueryChars: 5000 });
    try {
      const search = await server.inject({
        method: 'POST',
        url: '/v1/search',
        headers: json,
        payload: { query: ['memory', long], top_k: 3 },
      });
      assert.equal(search.statusCode, 200, search.body);
      assert.deepEqual(
        search.json().results.map((r: { truncated: boolean }) => r.truncated),
        [false, true],
      );
      const embed = (accept: string) =>
        server.inject({
          method: 'POST',
          url: '/v1/embed',
          headers: { ...json, accept },
          payload: { input: ['memory', long] },
        });
      const asJson = await embed('application/json');
      assert.deepEqual(asJson.json().truncated, [1]);
      assert.equal(asJson.headers[TRUNCATED_INPUTS_HEADER], '1');
      const asArrow = await embed(ARROW_STREAM);
      assert.equal(asArrow.headers['content-type'], ARROW_STREAM);
      assert.equal(asArrow.headers[TRUNCATED_INPUTS_HEADER], '1', 'the Arrow answer says it in a header');
      const metrics = (await server.inject('/metrics')).body;
      assert.match(metrics, /^embedline_api_truncated_texts_total 3$/m, 'one search query, two embed inputs');
      const whole = await server.inject({
        method: 'POST',
        url: '/v1/embed',
        headers: json,
        payload: { input: 'memory' },
      });
      assert.deepEqual(whole.json().truncated, []);
      assert.equal(whole.headers[TRUNCATED_INPUTS_HEADER], undefined);

      const doc = (await server.inject('/openapi.json')).json();
      const result =
        doc.paths['/v1/search'].post.responses['200'].content['application/json'].schema.properties.results
          .items;
      assert.ok(result.required.includes('truncated'));
      assert.match(result.properties.truncated.description, /384 tokens/);
      const embedded = doc.paths['/v1/embed'].post.responses['200'];
      assert.ok(embedded.headers[TRUNCATED_INPUTS_HEADER], 'the header is documented');
      assert.match(
        embedded.content['application/json'].schema.properties.truncated.description,
        /384 tokens/,
      );
    } finally {
      await server.close();
    }
  });

  test('the OpenAPI document names the shared error schema ErrorBody (not def-0) for generated clients', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    assert.deepEqual(Object.keys(doc.components.schemas), ['ErrorBody']);
    const searchErrors = doc.paths['/v1/search'].post.responses['400'].content['application/json'].schema;
    assert.deepEqual(searchErrors, { $ref: '#/components/schemas/ErrorBody' });
    for (const [path, method] of [
      ['/v1/search', 'post'],
      ['/v1/embed', 'post'],
      ['/v1/collections', 'get'],
      ['/v1/collections/{name}', 'get'],
    ] as const) {
      for (const status of ['429', '503']) {
        const header = doc.paths[path][method].responses[status].headers?.['retry-after'];
        assert.equal(header?.schema.type, 'integer', `${method} ${path} ${status} documents Retry-After`);
      }
    }
  });

  test('a compressed request body is a 415 naming its content-encoding, not a baffling JSON error', async () => {
    const body = gzipSync(JSON.stringify({ query: 'memory' }));
    const sent = await app.inject({
      method: 'POST',
      url: '/v1/search',
      headers: { ...json, 'content-encoding': 'gzip' },
      payload: body,
    });
    assert.equal(sent.statusCode, 415, sent.body);
    assert.equal(sent.json().code, 'unsupported_content_encoding');
    assert.match(
      sent.json().message,
      /content-encoding "gzip" is not accepted: send the request body uncompressed/,
    );
    const identity = await app.inject({
      method: 'POST',
      url: '/v1/search',
      headers: { ...json, 'content-encoding': 'identity' },
      payload: { query: 'memory' },
    });
    assert.equal(identity.statusCode, 200);
  });

  test("every answer carries its request id (a proxy's, when well formed), and a 500 names it", async () => {
    const fresh = await app.inject({ url: '/healthz' });
    assert.match(
      String(fresh.headers['x-request-id']),
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const proxied = await app.inject({
      url: '/v1/collections',
      headers: { ...auth, 'x-request-id': 'ingress-42.a:b' },
    });
    assert.equal(proxied.headers['x-request-id'], 'ingress-42.a:b');
    const forged = await app.inject({ url: '/nope', headers: { 'x-request-id': 'a b" level=error' } });
    assert.equal(forged.statusCode, 404);
    assert.notEqual(forged.headers['x-request-id'], 'a b" level=error');
    assert.match(String(forged.headers['x-request-id']), /^[0-9a-f-]{36}$/);

    const failing: EmbeddingModel = {
      encode: async () => {
        throw new Error('inference blew up');
      },
      describe: () => fx.encoder.describe(),
    };
    const broken = await fx.server({}, { encoder: failing });
    try {
      const answer = await broken.inject({
        method: 'POST',
        url: '/v1/search',
        headers: json,
        payload: { query: 'x' },
      });
      assert.equal(answer.statusCode, 500);
      assert.equal(answer.json().code, 'internal_error');
      assert.equal(
        answer.json().message,
        `internal error (logged on the server as request ${answer.headers['x-request-id']})`,
      );
    } finally {
      await broken.close();
    }
  });
});
