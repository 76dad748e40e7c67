import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { toRecordBatch } from '../embedded-batch.ts';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { pointId, stableUuid } from '../point-id.ts';
import { runStoreConformance } from '../testing/conformance.ts';
import { randomUnitVectors } from '@embedline/testing';
import { FakeQdrant, type FakeQdrantOptions } from './contract/fake-qdrant.ts';
import {
  QdrantFinalizeTimeoutError,
  QdrantRequestError,
  QdrantTimeoutError,
  QdrantUnavailableError,
} from './qdrant-errors.ts';
import { QdrantStore, type QdrantStoreOptions } from './qdrant-store.ts';

/** Waits nothing, but remembers what the store asked to wait: backoff is asserted, not slept. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** A fake server and a store on it; `done` closes both and asserts that the client kept to the contract. */
async function harness(fakeOptions: FakeQdrantOptions = {}, storeOptions: Partial<QdrantStoreOptions> = {}) {
  const fake = await FakeQdrant.start({ optimizationPolls: 1, ...fakeOptions });
  const waits = recordingSleep();
  const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1, sleep: waits.sleep, ...storeOptions });
  return {
    fake,
    store,
    delays: waits.delays,
    async done() {
      await store.close();
      await fake.close();
      assert.deepEqual(fake.violations, [], 'requests (or fake answers) that break Qdrant OpenAPI document');
    },
  };
}

function points(count: number, dimension: number, seed: number, prefix = '') {
  const ids = Array.from({ length: count }, (_, i) => (prefix === '' ? String(i) : `${prefix}${i}`));
  const vectors = randomUnitVectors(count, dimension, seed);
  return toRecordBatch({ ids, vectors, dimension, texts: ids.map((id) => `passage ${id}`) });
}

// ---- the shared conformance suite, against the contract fake and (when configured) a real server ----

runStoreConformance('qdrant (OpenAPI contract fake)', async () => {
  const fake = await FakeQdrant.start({ optimizationPolls: 1 });
  const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
  return {
    store,
    cleanup: async () => {
      await fake.close();
      assert.deepEqual(fake.violations, [], 'requests (or fake answers) that break Qdrant OpenAPI document');
    },
  };
});

const LIVE_URL = process.env['QDRANT_URL'];
if (LIVE_URL !== undefined && LIVE_URL !== '') {
  runStoreConformance('qdrant (live server at QDRANT_URL)', async () => {
    // Each test gets its own prefix, so runs never see each other's (or anyone's) collections.
    const collectionPrefix = `embedline_test_${randomUUID().slice(0, 8)}_`;
    const options = {
      url: LIVE_URL,
      collectionPrefix,
      pollIntervalMs: 200,
      ...(process.env['QDRANT_API_KEY'] ? { apiKey: process.env['QDRANT_API_KEY'] } : {}),
    };
    const store = new QdrantStore(options);
    return {
      store,
      cleanup: async () => {
        const janitor = new QdrantStore(options);
        for (const name of await janitor.listCollections()) await janitor.deleteCollection(name);
        await janitor.close();
      },
    };
  });
} else {
  test(
    'VectorStore conformance: qdrant (live server)',
    { skip: 'skipped: set QDRANT_URL to run against a real Qdrant server' },
    () => {},
  );
}

// ---- adapter-specific behaviour, read off the fake's recorded requests ----

describe('QdrantStore against the contract fake', () => {
  test('createCollection sends Dot distance, on_disk, shards, replication and bulk-load settings, then indexes `id`', async () => {
    const h = await harness();
    try {
      await h.store.createCollection('msmarco', { dimension: 16, onDisk: true, shards: 3, replication: 2 });
      const [create] = h.fake.requestsFor('create_collection');
      assert.deepEqual(create?.body, {
        vectors: { size: 16, distance: 'Dot', on_disk: true },
        shard_number: 3,
        replication_factor: 2,
        hnsw_config: { m: 0 },
        metadata: { embedline_finalized: false },
      });
      assert.equal(create.query['timeout'], '300');
      const [index] = h.fake.requestsFor('create_field_index');
      assert.deepEqual(index?.body, { field_name: 'id', field_schema: 'keyword' });
      assert.equal(index.query['wait'], 'true');
      const state = h.fake.collection('msmarco');
      assert.equal(state?.hnsw.m, 0);
      assert.deepEqual(state.payloadIndexes, { id: 'keyword' });
      assert.equal(state.shardNumber, 3);

      // Idempotent: a second create (another worker) only looks.
      await h.store.createCollection('msmarco', { dimension: 16 });
      assert.equal(h.fake.requestsFor('create_collection').length, 1);
      assert.equal(h.fake.requestsFor('create_field_index').length, 1);
    } finally {
      await h.done();
    }
  });

  test("bulkLoad 'disable-indexing' sets indexing_threshold 0 instead of m 0", async () => {
    const h = await harness({}, { bulkLoad: 'disable-indexing' });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      const body = h.fake.requestsFor('create_collection')[0]?.body as Record<string, unknown>;
      assert.deepEqual(body['optimizers_config'], { indexing_threshold: 0 });
      assert.equal(body['hnsw_config'], undefined);
      assert.equal(h.fake.collection('docs')?.optimizer.indexing_threshold, 0);
    } finally {
      await h.done();
    }
  });

  test('finalize restores HNSW and indexing settings, waits for green, records finalized; a second finalize changes nothing', async () => {
    const h = await harness(
      { optimizationPolls: 3 },
      { hnsw: { m: 32, efConstruct: 200 }, indexingThreshold: 10_000 },
    );
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.upsert('docs', points(20, 8, 1));
      assert.equal((await h.store.describe('docs'))?.finalized, false);
      const pollsBefore = h.fake.requestsFor('get_collection').length;
      await h.store.finalize('docs');
      const updates = h.fake.requestsFor('update_collection').map((r) => r.body);
      // defer-hnsw turned off the graph only (m 0): that is what comes back; indexing was on (threshold
      // 20,000) and stays as it is (the configured 10,000 applies where a bulk load set it to 0).
      assert.deepEqual(updates.at(-2), { hnsw_config: { m: 32, ef_construct: 200 } });
      assert.deepEqual(updates.at(-1), { metadata: { embedline_finalized: true } });
      // 1 look + 3 yellow polls + 2 green polls in a row.
      assert.equal(h.fake.requestsFor('get_collection').length - pollsBefore, 6);
      assert.ok(h.delays.length >= 4, 'finalize sleeps between polls');
      const state = h.fake.collection('docs');
      assert.deepEqual(
        [state?.hnsw.m, state?.hnsw.ef_construct, state?.optimizer.indexing_threshold, state?.status],
        [32, 200, 20_000, 'green'],
      );
      assert.equal((await h.store.describe('docs'))?.finalized, true);

      const updatesBefore = h.fake.requestsFor('update_collection').length;
      await h.store.finalize('docs');
      assert.equal(
        h.fake.requestsFor('update_collection').length,
        updatesBefore,
        'nothing to restore or record',
      );

      // The next write clears finalized (once), before its points land.
      await h.store.upsert('docs', points(3, 8, 2, 'late-'));
      const requests = h.fake.requests.map((r) => r.operationId);
      const clear = requests.lastIndexOf('update_collection');
      assert.ok(clear >= 0 && clear < requests.lastIndexOf('upsert_points'));
      assert.deepEqual(h.fake.requestsFor('update_collection').at(-1)?.body, {
        metadata: { embedline_finalized: false },
      });
      assert.equal((await h.store.describe('docs'))?.finalized, false);
    } finally {
      await h.done();
    }
  });

  test('finalize nudges a grey collection, fails on red, and gives up after finalizeTimeoutMs', async () => {
    const h = await harness({ optimizationPolls: 2 });
    try {
      await h.store.createCollection('grey', { dimension: 4 });
      await h.store.finalize('grey');
      h.fake.setStatus('grey', 'grey');
      await h.store.finalize('grey');
      assert.deepEqual(h.fake.requestsFor('update_collection').at(-1)?.body, { optimizers_config: {} });
      assert.equal(h.fake.collection('grey')?.status, 'green');

      h.fake.setStatus('grey', 'red');
      await assert.rejects(h.store.finalize('grey'), (error: unknown) => {
        assert.ok(error instanceof QdrantRequestError);
        assert.match(error.message, /"grey".*red: injected optimizer failure/);
        return true;
      });
    } finally {
      await h.done();
    }
    const slow = await harness(
      { optimizationPolls: 1_000_000 },
      { finalizeTimeoutMs: 30, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    );
    try {
      await slow.store.createCollection('slow', { dimension: 4 });
      await assert.rejects(slow.store.finalize('slow'), (error: unknown) => {
        assert.ok(error instanceof QdrantFinalizeTimeoutError, String(error));
        assert.match(error.message, /"slow" was still "yellow".*call finalize again later/);
        return true;
      });
    } finally {
      await slow.done();
    }
  });

  test('upserts go in requests of at most batchSize points, with wait=true and the configured ordering', async () => {
    const h = await harness();
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.upsert('docs', points(1000, 8, 3));
      const sizes = h.fake
        .requestsFor('upsert_points')
        .map((r) => (r.body as { points: unknown[] }).points.length);
      assert.deepEqual(sizes, [128, 128, 128, 128, 128, 128, 128, 104]);
      for (const request of h.fake.requestsFor('upsert_points')) {
        assert.deepEqual(request.query, { wait: 'true', ordering: 'medium' });
      }
      assert.equal(await h.store.count('docs'), 1000);
    } finally {
      await h.done();
    }
    const big = await harness({}, { batchSize: 256, ordering: 'weak' });
    try {
      await big.store.createCollection('docs', { dimension: 8 });
      await big.store.upsert('docs', points(1000, 8, 3));
      const requests = big.fake.requestsFor('upsert_points');
      assert.deepEqual(
        requests.map((r) => (r.body as { points: unknown[] }).points.length),
        [256, 256, 256, 232],
      );
      assert.equal(requests[0]?.query['ordering'], 'weak');
    } finally {
      await big.done();
    }
    assert.throws(() => new QdrantStore({ url: 'http://127.0.0.1:1', batchSize: 0 }), /batchSize/);
    assert.throws(() => new QdrantStore({ url: 'http://127.0.0.1:1', batchSize: 5000 }), /batchSize/);
  });

  test('points: numeric pids as-is, other ids as UUIDv5, corpus id and text in a flat payload', async () => {
    const h = await harness();
    try {
      await h.store.createCollection('docs', { dimension: 4 });
      const vectors = randomUnitVectors(3, 4, 4);
      const payloads = [{ title: 'A' }, null, { id: 'own id', text: 'own text', n: 1 }];
      await h.store.upsert(
        'docs',
        toRecordBatch({
          ids: ['8841822', 'doc-7', 'x'],
          vectors,
          dimension: 4,
          texts: ['a', 'b', 'c'],
          payloads,
        }),
      );
      const sent = (
        h.fake.requestsFor('upsert_points')[0]?.body as {
          points: { id: unknown; payload: unknown; vector: number[] }[];
        }
      ).points;
      assert.deepEqual(
        sent.map((p) => [p.id, p.payload]),
        [
          [8841822, { title: 'A', id: '8841822', text: 'a' }],
          [pointId('doc-7'), { id: 'doc-7', text: 'b' }],
          [
            pointId('x'),
            { id: 'x', text: 'c', n: 1, _embedline_shadowed: { id: 'own id', text: 'own text' } },
          ],
        ],
      );
      assert.deepEqual(sent[0]?.vector, Array.from(vectors.subarray(0, 4)));
      // The record's own `id`/`text` fields come back as they were.
      const [hit] = await h.store.search('docs', vectors.subarray(8, 12), { topK: 1, withPayload: true });
      assert.deepEqual(hit, {
        id: 'x',
        score: hit?.score,
        payload: { text: 'own text', id: 'own id', n: 1 },
      });
      // Without payload only `id` is fetched.
      assert.deepEqual(
        (h.fake.requestsFor('query_points').at(-1)?.body as { with_payload: unknown }).with_payload,
        true,
      );
      await h.store.search('docs', vectors.subarray(0, 4), { topK: 1 });
      assert.deepEqual(h.fake.requestsFor('query_points').at(-1)?.body, {
        query: Array.from(vectors.subarray(0, 4)),
        limit: 9,
        with_payload: ['id'],
        with_vector: false,
        params: { exact: false },
      });
      await h.store.search('docs', vectors.subarray(0, 4), { topK: 1, exact: true });
      assert.deepEqual((h.fake.requestsFor('query_points').at(-1)?.body as { params: unknown }).params, {
        exact: true,
      });
    } finally {
      await h.done();
    }
  });

  test('equal scores past the fetched window: the store widens the query until the tie group is whole', async () => {
    const h = await harness({ tieOrder: 'reverse-insertion' });
    try {
      await h.store.createCollection('ties', { dimension: 4 });
      const same = randomUnitVectors(1, 4, 5);
      const ids = Array.from({ length: 40 }, (_, i) => String(100 - i));
      const vectors = new Float32Array(40 * 4);
      ids.forEach((_, i) => vectors.set(same, i * 4));
      await h.store.upsert('ties', toRecordBatch({ ids, vectors, dimension: 4, texts: ids }));
      const hits = await h.store.search('ties', same, { topK: 5 });
      assert.deepEqual(
        hits.map((x) => x.id),
        ['61', '62', '63', '64', '65'],
      );
      const limits = h.fake.requestsFor('query_points').map((r) => (r.body as { limit: number }).limit);
      assert.deepEqual(limits, [13, 26, 52]);
    } finally {
      await h.done();
    }
  });

  test('a tie group larger than the cap: the widening stops at max(4 x topK, topK + 4096) and keeps what it fetched', async () => {
    const h = await harness({ tieOrder: 'reverse-insertion' });
    try {
      await h.store.createCollection('ties', { dimension: 4 });
      const same = randomUnitVectors(1, 4, 5);
      const ids = Array.from({ length: 4200 }, (_, i) => String(i));
      const vectors = new Float32Array(ids.length * 4);
      ids.forEach((_, i) => vectors.set(same, i * 4));
      await h.store.upsert('ties', toRecordBatch({ ids, vectors, dimension: 4, texts: ids }));
      const hits = await h.store.search('ties', same, { topK: 5 });
      // The fake answers the last inserted of equal scores first: the 4,101 rows within the cap are ids
      // 4199 down to 99, so the first 99 inserted never make the cut.
      assert.deepEqual(
        hits.map((x) => x.id),
        ['99', '100', '101', '102', '103'],
      );
      const limits = h.fake.requestsFor('query_points').map((r) => (r.body as { limit: number }).limit);
      assert.deepEqual(limits, [13, 26, 52, 104, 208, 416, 832, 1664, 3328, 4101]);
    } finally {
      await h.done();
    }
  });

  test('upserts run with bounded concurrency', async () => {
    const h = await harness({ latencyMs: 15 }, { batchSize: 64, concurrency: 3 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.upsert('docs', points(640, 8, 6));
      assert.equal(h.fake.requestsFor('upsert_points').length, 10);
      assert.equal(h.fake.maxInFlight('upsert_points'), 3);
      assert.equal(await h.store.count('docs'), 640);
    } finally {
      await h.done();
    }
  });

  test('429 with Retry-After and 503s are retried with backoff, then succeed', async () => {
    const h = await harness({}, { random: () => 0.5 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'upsert_points', status: 429, retryAfter: '2', times: 1 });
      h.fake.inject({ operationId: 'upsert_points', status: 503, times: 2 });
      h.fake.inject({
        operationId: 'count_points',
        status: 429,
        retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT',
        times: 1,
      });
      await h.store.upsert('docs', points(100, 8, 7));
      assert.equal(await h.store.count('docs'), 100);
      assert.deepEqual(
        h.fake.requestsFor('upsert_points').map((r) => r.status),
        [429, 503, 503, 200],
      );
      // Retry-After: 2 -> at least 2 s (plus jitter); then exponential backoff 250 ms * 2^(n-1), equal jitter.
      assert.deepEqual(h.delays.slice(0, 3), [2000 + 0.5 * 250, 375, 750]);
      assert.equal(
        h.delays.length,
        4,
        'the 429 on count is retried too (its HTTP-date Retry-After is unusable)',
      );
    } finally {
      await h.done();
    }
  });

  test("a batch over Qdrant's max request size is halved until it fits; later batches start at that size", async () => {
    const h = await harness({ maxRequestBytes: 8_000 }, { batchSize: 100, concurrency: 1 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.upsert('docs', points(300, 8, 21));
      assert.equal(await h.store.count('docs'), 300);
      const upserts = h.fake.requestsFor('upsert_points');
      const sizes = upserts.map((r) => `${(r.body as { points: unknown[] }).points.length}:${r.status}`);
      // 100 and 50 are refused (400 "JSON payload ... is larger than allowed"), 25 fits: the rest go as 25s.
      assert.deepEqual(sizes, ['100:400', '50:400', ...Array<string>(12).fill('25:200')]);
    } finally {
      await h.done();
    }
  });

  test('a collection in strict mode gets requests of its upsert_max_batchsize', async () => {
    const h = await harness({}, { batchSize: 100, concurrency: 1 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      // Qdrant's words: CollectionError::strict_mode from check_limit_opt, as a 400 "Bad request".
      const error =
        'Bad request: Limit exceeded 100 > 30 for "upsert limit". Help: Reduce the "upsert limit" parameter to or below 30.';
      h.fake.inject({ operationId: 'upsert_points', status: 400, error });
      await h.store.upsert('docs', points(200, 8, 24));
      assert.equal(await h.store.count('docs'), 200);
      const sizes = h.fake
        .requestsFor('upsert_points')
        .map((r) => (r.body as { points: unknown[] }).points.length);
      assert.deepEqual(sizes, [100, 30, 30, 30, 10, 30, 30, 30, 10]);
    } finally {
      await h.done();
    }
  });

  test("a proxy's 413 splits the batch too", async () => {
    const h = await harness({}, { batchSize: 64 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'upsert_points', status: 413 });
      await h.store.upsert('docs', points(64, 8, 22));
      assert.equal(await h.store.count('docs'), 64);
      assert.deepEqual(
        h.fake.requestsFor('upsert_points').map((r) => r.status),
        [413, 200, 200],
      );
    } finally {
      await h.done();
    }
  });

  test('a single point over the max request size is a clear error naming the passage and its size', async () => {
    const h = await harness({ maxRequestBytes: 6_000 }, { batchSize: 16 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      const ids = ['a', 'huge', 'b'];
      const texts = ['short', 'x'.repeat(8_000), 'short'];
      const batch = toRecordBatch({ ids, vectors: randomUnitVectors(3, 8, 23), dimension: 8, texts });
      await assert.rejects(h.store.upsert('docs', batch), (error: unknown) => {
        assert.ok(error instanceof QdrantRequestError, String(error));
        assert.equal(error.status, 400);
        assert.match(
          error.message,
          /upsert of 1 point into "docs" failed \(HTTP 400\): passage "huge" \(point id [0-9a-f-]{36}\) alone is 8\d{3} bytes of JSON, over the server's request size limit \(6000 bytes\): .*max_request_size_mb/,
        );
        return true;
      });
    } finally {
      await h.done();
    }
  });

  test("Qdrant's 408 (an operation past its server-side timeout) is retried: every request is idempotent", async () => {
    const h = await harness({}, { random: () => 0 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'upsert_points', status: 408, times: 2 });
      h.fake.inject({ operationId: 'count_points', status: 408, times: 1 });
      await h.store.upsert('docs', points(100, 8, 7));
      await h.store.upsert('docs', points(100, 8, 7));
      assert.equal(await h.store.count('docs'), 100, 'the retried upsert wrote each point once');
      assert.deepEqual(
        h.fake.requestsFor('upsert_points').map((r) => r.status),
        [408, 408, 200, 200],
      );
      assert.deepEqual(h.delays, [125, 250, 125]);
    } finally {
      await h.done();
    }
  });

  test('a persistent 503 ends in QdrantUnavailableError after maxAttempts', async () => {
    const h = await harness({}, { retry: { maxAttempts: 4 } });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'upsert_points', status: 503, times: 100 });
      await assert.rejects(h.store.upsert('docs', points(10, 8, 8)), (error: unknown) => {
        assert.ok(error instanceof QdrantUnavailableError, String(error));
        assert.equal(error.attempts, 4);
        assert.equal(error.status, 503);
        assert.match(error.message, /upsert of 10 points into "docs".*after 4 attempts.*HTTP 503/);
        return true;
      });
      assert.equal(h.fake.requestsFor('upsert_points').length, 4);
      assert.equal(h.delays.length, 3);
    } finally {
      await h.done();
    }
  });

  test('a refused connection is retried, then reported as unavailable', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const waits = recordingSleep();
    const store = new QdrantStore({
      url: `http://127.0.0.1:${port}`,
      sleep: waits.sleep,
      retry: { maxAttempts: 3 },
    });
    await assert.rejects(store.count('docs'), (error: unknown) => {
      assert.ok(error instanceof QdrantUnavailableError, String(error));
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
    assert.equal(waits.delays.length, 2);
    await store.close();
  });

  test('the API key goes in the api-key header of every request; a missing key is a clear 401', async () => {
    const h = await harness({ apiKey: 's3cret' }, { apiKey: 's3cret' });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.upsert('docs', points(10, 8, 9));
      await h.store.search('docs', randomUnitVectors(1, 8, 1), { topK: 3 });
      assert.ok(h.fake.requests.length >= 5);
      for (const request of h.fake.requests)
        assert.equal(request.headers['api-key'], 's3cret', `${request.method} ${request.path}`);
      const anonymous = new QdrantStore({ url: h.fake.url });
      await assert.rejects(anonymous.count('docs'), (error: unknown) => {
        assert.ok(
          error instanceof QdrantRequestError && !(error instanceof QdrantUnavailableError),
          String(error),
        );
        assert.equal(error.status, 401);
        assert.match(error.message, /count points of "docs".*401.*API key/);
        return true;
      });
    } finally {
      await h.done();
    }
  });

  test('a request slower than timeoutMs fails with QdrantTimeoutError, without retrying', async () => {
    const h = await harness({}, { timeoutMs: 100 });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'count_points', delayMs: 2000 });
      const started = Date.now();
      await assert.rejects(h.store.count('docs'), (error: unknown) => {
        assert.ok(error instanceof QdrantTimeoutError, String(error));
        assert.match(error.message, /count points of "docs".*no answer within 100 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 1500);
      assert.equal(h.fake.requestsFor('count_points').length, 1);
    } finally {
      await h.done();
    }
  });

  test('on a server without collection metadata (< 1.16) finalized is read off the HNSW settings', async () => {
    const h = await harness({ version: '1.15.4' });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      assert.equal(
        (h.fake.requestsFor('create_collection')[0]?.body as { metadata?: unknown }).metadata,
        undefined,
      );
      await h.store.upsert('docs', points(10, 8, 10));
      assert.equal((await h.store.describe('docs'))?.finalized, false);
      await h.store.finalize('docs');
      assert.equal((await h.store.describe('docs'))?.finalized, true);
      for (const request of h.fake.requestsFor('update_collection'))
        assert.equal((request.body as { metadata?: unknown }).metadata, undefined);
    } finally {
      await h.done();
    }
  });

  test('collectionPrefix namespaces collections on the server; errors name the collection as the caller knows it', async () => {
    const h = await harness({}, { collectionPrefix: 'tenant_a_' });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      assert.ok(h.fake.collection('tenant_a_docs') !== undefined);
      const other = new QdrantStore({ url: h.fake.url });
      await other.createCollection('unrelated', { dimension: 4 });
      assert.deepEqual(await h.store.listCollections(), ['docs']);
      assert.deepEqual(await other.listCollections(), ['tenant_a_docs', 'unrelated']);
      await assert.rejects(
        h.store.count('unrelated'),
        (error: unknown) => error instanceof CollectionNotFoundError && /"unrelated"/.test(error.message),
      );
      await other.close();
    } finally {
      await h.done();
    }
  });

  test('a closed store refuses work', async () => {
    const h = await harness();
    try {
      await h.store.close();
      await assert.rejects(h.store.listCollections(), /QdrantStore is closed/);
    } finally {
      await h.done();
    }
  });
});

describe('QdrantStore shard ledger against the contract fake', () => {
  test('a payload-only side collection `<name>__shards`: one point per shard, keyed by the UUIDv5 of its key, written with wait=true', async () => {
    const h = await harness({}, { ordering: 'strong' });
    try {
      await h.store.createCollection('docs', { dimension: 8, replication: 2 });
      await h.store.recordShard('docs', 'abc-0000001', 250);
      await h.store.recordShard('docs', 'abc-0000001', 250);

      const creates = h.fake.requestsFor('create_collection');
      assert.deepEqual(
        creates.map((r) => r.path),
        ['/collections/docs', '/collections/docs__shards'],
      );
      // No vectors at all; one shard; the collection's replication factor, so it survives what the points survive.
      assert.deepEqual(creates[1]?.body, { vectors: {}, shard_number: 1, replication_factor: 2 });
      const ledger = h.fake.collection('docs__shards');
      assert.equal(ledger?.size, 0);
      assert.equal(ledger.replicationFactor, 2);
      assert.equal(ledger.pointCount, 1, 'recording a shard twice leaves one point');

      const writes = h.fake.requestsFor('upsert_points');
      assert.equal(writes.length, 2);
      for (const write of writes) {
        assert.equal(write.path, '/collections/docs__shards/points');
        assert.equal(write.query['wait'], 'true');
        assert.equal(write.query['ordering'], 'strong');
      }
      type LedgerWrite = { points: { id: unknown; vector: unknown; payload: Record<string, unknown> }[] };
      const [point] = (writes[0]?.body as LedgerWrite).points;
      assert.equal(point?.id, stableUuid('abc-0000001'));
      assert.deepEqual(point.vector, {});
      assert.equal(point.payload['shard'], 'abc-0000001');
      assert.equal(point.payload['records'], 250);
      assert.ok(!Number.isNaN(Date.parse(String(point.payload['finishedAt']))), 'finishedAt is a timestamp');
      assert.equal(
        h.fake.requestsFor('create_collection').length,
        2,
        'the ledger is created once, then remembered',
      );
      assert.equal(h.fake.collection('docs')?.pointCount, 0);
    } finally {
      await h.done();
    }
  });

  test('completedShards pages through the scroll API; another process (a new store) reads the same ledger', async () => {
    const h = await harness();
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      const expected = new Map(
        Array.from({ length: 1003 }, (_, i) => [`fp-${String(i).padStart(7, '0')}`, 1000 + (i % 7)]),
      );
      const keys = [...expected.keys()];
      // Concurrent writers, as several workers are: the first writes race to create the ledger.
      for (let start = 0; start < keys.length; start += 50) {
        const chunk = keys.slice(start, start + 50);
        await Promise.all(chunk.map((key) => h.store.recordShard('docs', key, expected.get(key)!)));
      }
      const reader = new QdrantStore({ url: h.fake.url });
      assert.deepEqual(await reader.completedShards('docs'), expected);
      await reader.close();
      const scrolls = h.fake.requestsFor('scroll_points');
      assert.equal(scrolls.length, 2, '1003 shards in pages of 1000');
      assert.deepEqual(scrolls[0]?.body, {
        limit: 1000,
        with_payload: ['shard', 'records'],
        with_vector: false,
      });
      const second = scrolls[1]?.body as { offset?: unknown };
      assert.ok(second.offset !== undefined, 'the second page starts at the offset given');
      assert.equal(h.fake.collection('docs__shards')?.pointCount, 1003);
      assert.equal(
        h.fake.requestsFor('create_collection').length,
        2,
        'concurrent writers of one store create the ledger once',
      );
    } finally {
      await h.done();
    }
  });

  test('deleteCollection deletes the ledger first; a ledger deleted meanwhile is re-created on the next record', async () => {
    const h = await harness();
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      await h.store.recordShard('docs', 'a', 1);
      const other = new QdrantStore({ url: h.fake.url });
      await other.deleteCollection('docs');
      assert.deepEqual(
        h.fake.requestsFor('delete_collection').map((r) => r.path),
        ['/collections/docs__shards', '/collections/docs'],
        'a crash between the two deletes must not leave claims without points',
      );
      await other.createCollection('docs', { dimension: 8 });
      await other.close();
      // h.store still believes the ledger exists: its write gets a 404, then it re-creates the ledger.
      await h.store.recordShard('docs', 'b', 2);
      assert.deepEqual(await h.store.completedShards('docs'), new Map([['b', 2]]));
    } finally {
      await h.done();
    }
  });

  test('ledger writes are retried on 503; bad arguments are refused; collectionPrefix applies to the ledger', async () => {
    const h = await harness({}, { collectionPrefix: 'tenant_' });
    try {
      await h.store.createCollection('docs', { dimension: 8 });
      h.fake.inject({ operationId: 'upsert_points', status: 503, times: 2 });
      await h.store.recordShard('docs', 'a', 3);
      assert.deepEqual(
        h.fake.requestsFor('upsert_points').map((r) => r.status),
        [503, 503, 200],
      );
      assert.equal(h.fake.collection('tenant_docs__shards')?.pointCount, 1);
      assert.deepEqual(await h.store.listCollections(), ['docs']);
      await assert.rejects(h.store.recordShard('docs', 'b', -1), /records must be a non-negative integer/);
      await assert.rejects(h.store.recordShard('docs', 'c', 1.5), /records must be a non-negative integer/);
      await assert.rejects(h.store.recordShard('docs', '', 1), /shard key is empty/);
      assert.deepEqual(await h.store.completedShards('docs'), new Map([['a', 3]]));
    } finally {
      await h.done();
    }
  });
});
