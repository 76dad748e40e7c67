import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Embeddings } from '@embedline/encoder';
import { MemoryIndex } from '@embedline/memory-index';
import { LanceDbStore, toRecordBatch, type SearchHit } from '@embedline/store';
import { ApiMetrics } from './metrics.ts';
import { QueryEncoder, type EmbeddingModel } from './query-encoder.ts';
import { FILTERED_QUERIES_AT_ONCE, SearchService } from './search-service.ts';

const DIMENSION = 8;
const POINTS = 200;

/** Deterministic unit vector of an integer (the fake model embeds the text "n" as vector n). */
function vectorOf(n: number): Float32Array {
  const vector = Float32Array.from({ length: DIMENSION }, (_, d) => Math.sin(n * 12.9898 + d * 78.233));
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

/** Embeds the text "n" as vectorOf(n), and says it cut the odd ones. */
const fakeModel: EmbeddingModel = {
  async encode(texts: readonly string[]): Promise<Embeddings> {
    const vectors = new Float32Array(texts.length * DIMENSION);
    texts.forEach((text, i) => vectors.set(vectorOf(Number(text)), i * DIMENSION));
    const truncated = Uint8Array.from(texts, (text) => Number(text) % 2);
    return { vectors, count: texts.length, dimension: DIMENSION, truncated } as Embeddings;
  },
  describe: () => ({ dimension: DIMENSION, modelDir: 'fake', variant: 'fp32' }),
};

/** A histogram's number of observations and their sum, read off the registry's text exposition. */
async function observations(metrics: ApiMetrics, name: string): Promise<{ count: number; sum: number }> {
  const text = await metrics.registry.metrics();
  const value = (suffix: string) => Number(new RegExp(`^${name}${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: value('_count'), sum: value('_sum') };
}

describe('SearchService', () => {
  let dir: string;
  let store: LanceDbStore;
  let memory: MemoryIndex;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'search-service-'));
    store = new LanceDbStore({ uri: dir });
    await store.createCollection('docs', { dimension: DIMENSION });
    const ids = Array.from({ length: POINTS }, (_, i) => String(i));
    const vectors = new Float32Array(POINTS * DIMENSION);
    ids.forEach((_, i) => vectors.set(vectorOf(i), i * DIMENSION));
    const payloads = ids.map((_, i) => ({ lang: i % 2 === 0 ? 'en' : 'de' }));
    await store.upsert(
      'docs',
      toRecordBatch({
        ids,
        vectors,
        dimension: DIMENSION,
        texts: ids.map((id) => `passage ${id}`),
        payloads,
      }),
    );
    await store.finalize('docs');
    memory = await MemoryIndex.create(store, { budgetBytes: 2 ** 20, refreshMs: 0, threads: 1 });
    for (let i = 0; i < 500 && memory.resident('docs') === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(memory.resident('docs'), 'the collection became resident');
  });
  after(async () => {
    await memory.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function service(batchMaxQueries: number, metrics = new ApiMetrics()) {
    const encoder = new QueryEncoder(
      fakeModel,
      { batchWaitMs: 2, batchMaxTexts: batchMaxQueries, cacheSize: 0 },
      metrics,
    );
    return new SearchService(store, encoder, metrics, { memory, batchMaxQueries });
  }

  async function exact(query: number, topK: number, withPayload: boolean): Promise<SearchHit[]> {
    return store.search('docs', vectorOf(query), { topK, exact: true, withPayload });
  }

  test('concurrent requests are searched in one memory-index call, each cut to its own top_k', async () => {
    const metrics = new ApiMetrics();
    const search = service(64, metrics);
    const check = async (requests: { queries: string[]; topK: number; withPayload: boolean }[]) => {
      const answers = await Promise.all(requests.map((r) => search.search({ collection: 'docs', ...r })));
      for (const [i, request] of requests.entries()) {
        for (const [q, result] of answers[i]!.results.entries()) {
          const expected = await exact(Number(request.queries[q]), request.topK, request.withPayload);
          assert.deepEqual(
            result.hits.map((hit) => hit.id),
            expected.map((hit) => hit.id),
          );
          result.hits.forEach((hit, rank) => {
            assert.ok(Math.abs(hit.score - expected[rank]!.score) < 1e-5);
            assert.deepEqual(hit.payload, expected[rank]!.payload);
          });
        }
      }
    };
    // top_k 5, 8 and 6 are one class (within 2x): one call for the four vectors.
    await check([
      { queries: ['3'], topK: 5, withPayload: false },
      { queries: ['17', '150'], topK: 8, withPayload: false },
      { queries: ['99'], topK: 6, withPayload: false },
    ]);
    assert.deepEqual(await observations(metrics, 'embedline_api_search_batch_queries'), { count: 1, sum: 4 });
    // Another payload choice, or a top_k far larger, goes in a call of its own.
    await check([
      { queries: ['3'], topK: 5, withPayload: false },
      { queries: ['4'], topK: 5, withPayload: true },
      { queries: ['5'], topK: 100, withPayload: false },
    ]);
    assert.deepEqual(await observations(metrics, 'embedline_api_search_batch_queries'), { count: 4, sum: 7 });
  });

  test('one query per call when batching is off; filters are applied to resident candidates', async () => {
    const metrics = new ApiMetrics();
    const search = service(1, metrics);
    await Promise.all(
      ['1', '2', '3'].map((q) =>
        search.search({ collection: 'docs', queries: [q], topK: 3, withPayload: false }),
      ),
    );
    assert.deepEqual(await observations(metrics, 'embedline_api_search_batch_queries'), { count: 3, sum: 3 });
    const filtered = await search.search({
      collection: 'docs',
      queries: ['8'],
      topK: 4,
      withPayload: true,
      filter: { lang: 'de' },
    });
    const expected = (await exact(8, POINTS, true))
      .filter((hit) => hit.payload?.['lang'] === 'de')
      .slice(0, 4);
    assert.deepEqual(
      filtered.results[0]!.hits.map((hit) => hit.id),
      expected.map((hit) => hit.id),
    );
  });

  test("a request's filtered queries are searched a few at a time (each may fetch 10,000 candidates)", async () => {
    const metrics = new ApiMetrics();
    let inFlight = 0;
    let most = 0;
    // The store itself (no memory index), counting searches in flight.
    const counting = new Proxy(store, {
      get(target, property) {
        // Methods run on the store itself: its private fields are not the proxy's.
        const value: unknown = Reflect.get(target, property, target);
        if (property !== 'search') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<LanceDbStore['search']>) => {
          most = Math.max(most, ++inFlight);
          try {
            return await target.search(...args);
          } finally {
            inFlight -= 1;
          }
        };
      },
    });
    const encoder = new QueryEncoder(fakeModel, { batchWaitMs: 0, batchMaxTexts: 64, cacheSize: 0 }, metrics);
    const search = new SearchService(counting, encoder, metrics, { batchMaxQueries: 64 });
    const queries = Array.from({ length: 16 }, (_, i) => String(i * 7));
    const answer = await search.search({
      collection: 'docs',
      queries,
      topK: 3,
      withPayload: false,
      filter: { lang: 'en' },
    });
    assert.ok(most <= FILTERED_QUERIES_AT_ONCE, `${most} filtered searches at once`);
    for (const [i, result] of answer.results.entries()) {
      const expected = (await exact(Number(queries[i]), POINTS, true)).filter(
        (hit) => hit.payload?.['lang'] === 'en',
      );
      assert.equal(result.query, queries[i]);
      assert.deepEqual(
        result.hits.map((hit) => hit.id),
        expected.slice(0, 3).map((hit) => hit.id),
      );
    }
    most = 0;
    await search.search({ collection: 'docs', queries, topK: 3, withPayload: false });
    assert.equal(most, queries.length, 'unfiltered queries still go all at once');
  });

  test("each result's truncated is the model's flag for its query, filtered or not", async () => {
    const search = service(64);
    for (const filter of [undefined, { lang: 'en' }]) {
      const queries = ['4', '7', '9', '10', '13', '2'];
      const answer = await search.search({
        collection: 'docs',
        queries,
        topK: 2,
        withPayload: false,
        filter,
      });
      assert.deepEqual(
        answer.results.map((result) => [result.query, result.truncated]),
        queries.map((query) => [query, Number(query) % 2 === 1]),
      );
    }
  });

  test('a collection dropped from memory between request and search is answered by the store', async () => {
    const metrics = new ApiMetrics();
    const encoder = new QueryEncoder(fakeModel, { batchWaitMs: 0, batchMaxTexts: 64, cacheSize: 0 }, metrics);
    const resident = memory.resident('docs');
    let calls = 0;
    // Held when the request asks, gone when its batch runs.
    const flaky = { resident: () => (++calls === 1 ? resident : undefined) } as unknown as MemoryIndex;
    const search = new SearchService(store, encoder, metrics, { memory: flaky, batchMaxQueries: 64 });
    const answer = await search.search({ collection: 'docs', queries: ['5'], topK: 3, withPayload: false });
    assert.equal(calls, 2);
    assert.deepEqual(
      answer.results[0]!.hits.map((hit) => hit.id),
      (await exact(5, 3, false)).map((hit) => hit.id),
    );
    assert.deepEqual(await observations(metrics, 'embedline_api_search_batch_queries'), { count: 1, sum: 1 });
  });
});
