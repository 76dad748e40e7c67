import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import type { EmbeddedRows } from '@embedline/store';
import { DotTopK } from './dot-top-k.ts';
import { OverBudgetError } from './errors/over-budget-error.ts';
import { loadResident } from './resident-collection.ts';
import { randomUnitVectors } from '@embedline/testing';

/** A store scan of `rows`, in batches of `batch` rows. */
async function* scanOf(ids: string[], vectors: Float32Array, dimension: number, batch: number) {
  for (let start = 0; start < ids.length; start += batch) {
    const end = Math.min(start + batch, ids.length);
    const chunk: EmbeddedRows = {
      ids: ids.slice(start, end),
      vectors: vectors.slice(start * dimension, end * dimension),
      dimension,
      texts: ids.slice(start, end).map((id) => `passage ${id}`),
      payloads: ids.slice(start, end).map((id) => (Number(id) % 2 === 0 ? { even: true } : null)),
    };
    yield chunk;
  }
}

const MiB = 2 ** 20;

describe('ResidentCollection', () => {
  let kernel: DotTopK;
  before(async () => (kernel = await DotTopK.create({ threads: 1 })));
  after(() => kernel.close());

  test('loads a scan (growing past the size it expected) and ranks like exact search, payloads included', async () => {
    const dimension = 16;
    const vectors = randomUnitVectors(1000, dimension, 5);
    const ids = Array.from({ length: 1000 }, (_, i) => String(i + 100));
    const collection = await loadResident('c', 3, 10, dimension, scanOf(ids, vectors, dimension, 128), MiB);
    assert.equal(collection.points, 1000);
    assert.equal(collection.version, 3);
    const queries = [vectors.slice(17 * dimension, 18 * dimension), randomUnitVectors(1, dimension, 9)];
    const hits = await collection.searchMany(kernel, queries, 5, true);
    const expected = semanticSearch(
      createMatrix(Float32Array.from([...queries[0]!, ...queries[1]!]), 2, dimension),
      createMatrix(vectors, 1000, dimension),
      { topK: 5 },
    );
    hits.forEach((queryHits, q) => {
      assert.deepEqual(
        queryHits.map((hit) => hit.id),
        expected[q]!.map((hit) => ids[hit.corpusId]),
      );
    });
    assert.equal(hits[0]![0]!.id, '117');
    assert.deepEqual(hits[0]![0]!.payload, { text: 'passage 117' });
    const even = hits.flat().find((hit) => Number(hit.id) % 2 === 0)!;
    assert.deepEqual(even.payload, { text: `passage ${even.id}`, even: true });
    const bare = await collection.searchMany(kernel, queries, 5, false);
    assert.equal(bare[0]![0]!.payload, undefined);
    assert.deepEqual(await collection.searchMany(kernel, queries, 0, true), [[], []]);
  });

  test('equal scores are ordered by lower point id, even when the tie runs past the rows fetched', async () => {
    const dimension = 4;
    const one = Float32Array.of(1, 0, 0, 0);
    // 30 identical vectors (more than topK + the tie margin), ids out of order, UUID-keyed ids last.
    const ids = ['x-uuid', ...Array.from({ length: 29 }, (_, i) => String(90 - i * 3))];
    const vectors = new Float32Array(30 * dimension);
    for (let i = 0; i < 30; i++) vectors.set(one, i * dimension);
    const collection = await loadResident('ties', 1, 30, dimension, scanOf(ids, vectors, dimension, 7), MiB);
    const [hits] = await collection.searchMany(kernel, [one], 3, false);
    assert.deepEqual(
      hits!.map((hit) => hit.id),
      ['6', '9', '12'],
    );
    const [all] = await collection.searchMany(kernel, [one], 30, false);
    assert.equal(all![29]!.id, 'x-uuid');
  });

  test('a collection past the budget stops loading with OverBudgetError; a mis-sized query is refused', async () => {
    const dimension = 64;
    const vectors = randomUnitVectors(2000, dimension, 6);
    const ids = Array.from({ length: 2000 }, (_, i) => String(i));
    await assert.rejects(
      loadResident('big', 1, 2000, dimension, scanOf(ids, vectors, dimension, 500), 100_000),
      (error) => error instanceof OverBudgetError && /collection "big" needs more than/.test(error.message),
    );
    const small = await loadResident(
      'small',
      1,
      10,
      dimension,
      scanOf(ids.slice(0, 10), vectors, dimension, 5),
      MiB,
    );
    await assert.rejects(
      small.searchMany(kernel, [new Float32Array(8)], 3, false),
      /collection "small" has dimension 64, but the query has dimension 8/,
    );
  });
});
