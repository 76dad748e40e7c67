import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import { CorpusMatrix, DotTopK } from './dot-top-k.ts';
import { randomUnitVectors } from '@embedline/testing';

describe('DotTopK', () => {
  let kernel: DotTopK;
  before(async () => (kernel = await DotTopK.create({ threads: 1 })));
  after(() => kernel.close());

  test('each query gets the same rows and scores as libs/scoring exact search', async () => {
    const dimension = 24;
    const corpus = randomUnitVectors(3000, dimension, 1);
    const queries = randomUnitVectors(7, dimension, 2);
    const result = await kernel.search(new CorpusMatrix(corpus, 3000, dimension), queries, 12);
    const expected = semanticSearch(
      createMatrix(queries, 7, dimension),
      createMatrix(corpus, 3000, dimension),
      {
        topK: 12,
      },
    );
    assert.equal(result.k, 12);
    expected.forEach((hits, q) => {
      assert.deepEqual(
        Array.from(result.rows.subarray(q * 12, (q + 1) * 12), Number),
        hits.map((hit) => hit.corpusId),
      );
      hits.forEach((hit, i) => assert.ok(Math.abs(result.scores[q * 12 + i]! - hit.score) < 1e-5));
    });
  });

  test('k beyond the corpus gives every row; k 0 gives none', async () => {
    const corpus = new CorpusMatrix(randomUnitVectors(5, 8, 3), 5, 8);
    const queries = randomUnitVectors(2, 8, 4);
    const all = await kernel.search(corpus, queries, 50);
    assert.equal(all.k, 5);
    assert.deepEqual(new Set(Array.from(all.rows.subarray(0, 5), Number)), new Set([0, 1, 2, 3, 4]));
    assert.equal((await kernel.search(corpus, queries, 0)).k, 0);
  });

  test('queries that are not whole vectors and mis-sized corpora are refused', async () => {
    const corpus = new CorpusMatrix(randomUnitVectors(5, 8, 3), 5, 8);
    await assert.rejects(kernel.search(corpus, new Float32Array(12), 3), /not a whole number of 8-d vectors/);
    assert.throws(() => new CorpusMatrix(new Float32Array(10), 3, 4), /10 floats, not 3 rows x 4/);
    await assert.rejects(DotTopK.create({ threads: 0 }), /threads must be a positive integer/);
  });
});
