// What an operator reads when Qdrant cannot be used: the server named (never the key), and what to check.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { FakeQdrant } from './contract/fake-qdrant.ts';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { QdrantRequestError, QdrantTimeoutError, QdrantUnavailableError } from './qdrant-errors.ts';
import { QdrantStore, type QdrantStoreOptions } from './qdrant-store.ts';

const noWait = { sleep: async () => {}, retry: { maxAttempts: 3 } } satisfies Partial<QdrantStoreOptions>;

/** A loopback port nothing listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `call` and returns what it threw, checked to be `type`. */
async function failure<T extends Error>(
  call: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  const error = await call.then(
    () => assert.fail('expected a failure'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof type, String(error));
  return error;
}

describe('errors name the server and say what to check', () => {
  test('401 without a key, 401 with an unknown key, 403 with a read-only key; the key is never shown', async () => {
    const fake = await FakeQdrant.start({ apiKey: 'the-real-key', readOnlyApiKey: 'read-only-key' });
    const at = `Qdrant at ${fake.url}: `;
    const stores: QdrantStore[] = [];
    const store = (apiKey?: string) => {
      const made = new QdrantStore({ url: fake.url, ...noWait, ...(apiKey === undefined ? {} : { apiKey }) });
      stores.push(made);
      return made;
    };
    try {
      const missing = await failure(store().count('docs'), QdrantRequestError);
      assert.equal(missing.status, 401);
      assert.equal(missing.endpoint, fake.url);
      assert.match(missing.message, /count points of "docs" failed \(HTTP 401\): Unauthorized: Must provide/);
      assert.ok(missing.message.startsWith(at), missing.message);
      assert.match(missing.message, /the server requires an API key: set QDRANT_API_KEY/);

      const unknown = await failure(store('a-wrong-key').count('docs'), QdrantRequestError);
      assert.equal(unknown.status, 401);
      assert.match(unknown.message, /Invalid API key or JWT \(check the API key: .*QDRANT_API_KEY\)/);
      assert.ok(!unknown.message.includes('a-wrong-key'), unknown.message);

      const readOnly = await failure(
        store('read-only-key').createCollection('docs', { dimension: 4 }),
        QdrantRequestError,
      );
      assert.equal(readOnly.status, 403);
      assert.ok(
        readOnly.message.startsWith(`${at}create collection "docs" failed (HTTP 403)`),
        readOnly.message,
      );
      assert.match(
        readOnly.message,
        /a read-only key.*cannot create collections or write points.*read-write key/,
      );
      assert.ok(!readOnly.message.includes('read-only-key'), readOnly.message);
    } finally {
      for (const made of stores) await made.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('a refused connection names the address tried (a path prefix included) and asks whether Qdrant runs there', async () => {
    const port = await freePort();
    const store = new QdrantStore({ url: `http://127.0.0.1:${port}/qdrant/`, ...noWait });
    const error = await failure(store.count('docs'), QdrantUnavailableError);
    assert.equal(error.attempts, 3);
    assert.ok(
      error.message.startsWith(`Qdrant at http://127.0.0.1:${port}/qdrant: count points of "docs"`),
      error.message,
    );
    assert.match(error.message, /ECONNREFUSED.*nothing accepts connections there: is Qdrant running/);
    assert.doesNotMatch(error.message, /overloaded/);
    await store.close();
  });

  test('a host name that does not resolve says so', async () => {
    const store = new QdrantStore({ url: 'http://qdrant.invalid:6333', ...noWait });
    const error = await failure(store.count('docs'), QdrantUnavailableError);
    assert.match(error.message, /^Qdrant at http:\/\/qdrant\.invalid:6333: .*the host name does not resolve/);
    await store.close();
  });

  test('a TLS failure is not retried and says what to do (here: an https URL for a plain-http server)', async () => {
    const fake = await FakeQdrant.start();
    const url = fake.url.replace('http:', 'https:');
    const store = new QdrantStore({ url, ...noWait });
    try {
      const error = await failure(store.count('docs'), QdrantRequestError);
      assert.ok(!(error instanceof QdrantUnavailableError), 'not retried');
      assert.match(
        error.message,
        /^Qdrant at https:\/\/127\.0\.0\.1:\d+: count points of "docs" failed: TLS failed \(ERR_SSL_WRONG_VERSION_NUMBER\): .*NODE_EXTRA_CA_CERTS.*http:\/\/ URL/,
      );
    } finally {
      await store.close();
      await fake.close();
    }
  });

  test('a server that does not answer HTTP/1.1 (gRPC port, TLS port as http://) is named at once, not retried', async () => {
    // Qdrant's gRPC port (6334) speaks HTTP/2 only, as this server does; a TLS port answers with an alert.
    // Either way the client cannot parse an HTTP/1.1 response.
    const grpcLike = createHttp2Server().listen(0, '127.0.0.1');
    await new Promise((resolve) => grpcLike.once('listening', resolve));
    const { port } = grpcLike.address() as { port: number };
    let connections = 0;
    grpcLike.on('connection', () => connections++);
    const store = new QdrantStore({ url: `http://127.0.0.1:${port}`, ...noWait });
    try {
      const error = await failure(store.count('docs'), QdrantRequestError);
      assert.ok(!(error instanceof QdrantUnavailableError), 'not retried');
      assert.equal(connections, 1);
      assert.match(
        error.message,
        /^Qdrant at http:\/\/127\.0\.0\.1:\d+: count points of "docs" failed: the answer is not HTTP\/1\.1 \(Response does not match the HTTP\/1\.1 protocol.*\): .*https:\/\/.*gRPC port \(6334; .* 6333\)/,
      );
    } finally {
      await store.close();
      await new Promise((resolve) => grpcLike.close(resolve));
    }
  });

  test("a 404 that is not Qdrant's (a wrong path prefix, an ingress without the route) is about the URL, not a missing collection", async () => {
    // What an ingress's default backend answers for a path it has no rule for.
    const ingress = createHttpServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('default backend - 404');
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => ingress.once('listening', resolve));
    const { port } = ingress.address() as { port: number };
    const store = new QdrantStore({ url: `http://127.0.0.1:${port}/qdrant-typo`, ...noWait });
    try {
      for (const call of [
        () => store.createCollection('docs', { dimension: 4 }),
        () => store.search('docs', new Float32Array(4), { topK: 1 }),
        () => store.listCollections(),
      ]) {
        const error = await failure(call(), QdrantRequestError);
        assert.ok(!(error instanceof CollectionNotFoundError));
        assert.equal(error.status, 404);
        assert.match(
          error.message,
          new RegExp(
            `^Qdrant at http://127\\.0\\.0\\.1:${port}/qdrant-typo: .*default backend - 404 \\(not Qdrant's answer: is the path of QDRANT_URL right\\?`,
          ),
        );
      }
    } finally {
      await store.close();
      await new Promise((resolve) => ingress.close(resolve));
    }
    // Qdrant's own 404 (its ErrorResponse body) still means the collection is missing.
    const fake = await FakeQdrant.start();
    const direct = new QdrantStore({ url: fake.url, ...noWait });
    try {
      await failure(direct.search('docs', new Float32Array(4), { topK: 1 }), CollectionNotFoundError);
    } finally {
      await direct.close();
      await fake.close();
    }
  });

  test('a timeout and a 503 storm name the server too', async () => {
    const fake = await FakeQdrant.start();
    const store = new QdrantStore({ url: fake.url, ...noWait, timeoutMs: 50 });
    try {
      fake.inject({ operationId: 'get_collections', delayMs: 1000 });
      const slow = await failure(store.listCollections(), QdrantTimeoutError);
      assert.ok(slow.message.startsWith(`Qdrant at ${fake.url}: list collections failed`), slow.message);
      fake.inject({ operationId: 'get_collections', status: 503, times: 3 });
      const busy = await failure(store.listCollections(), QdrantUnavailableError);
      assert.ok(
        busy.message.startsWith(`Qdrant at ${fake.url}: list collections failed (HTTP 503)`),
        busy.message,
      );
      assert.match(busy.message, /overloaded or restarting/);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });
});
