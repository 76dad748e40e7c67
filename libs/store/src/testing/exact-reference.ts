import assert from 'node:assert/strict';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import { pointId } from '../point-id.ts';
import type { SearchHit } from '../vector-store.ts';

/** Points as a store holds them: unique ids, row-major unit vectors. */
export interface ReferencePoints {
  readonly ids: readonly string[];
  readonly vectors: Float32Array;
  readonly dimension: number;
}

export interface ReferenceHit {
  readonly id: string;
  readonly score: number;
}

/** Orders ids by point id, the stores' tie-break: numeric ids by value, before UUIDs, UUIDs as text. */
export function comparePointIds(a: string, b: string): number {
  const x = pointId(a);
  const y = pointId(b);
  if (typeof x === 'number') return typeof y === 'number' ? x - y : -1;
  if (typeof y === 'number') return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Exact dot-product top-k of each query with libs/scoring's `semanticSearch`. The corpus is laid out in
 * point-id order, so its "equal scores by lower corpus row" is the stores' "by lower point id".
 */
export function exactTopK(
  points: ReferencePoints,
  queries: readonly Float32Array[],
  topK: number,
): ReferenceHit[][] {
  const { dimension } = points;
  const order = points.ids.map((_, i) => i).sort((a, b) => comparePointIds(points.ids[a]!, points.ids[b]!));
  const corpus = new Float32Array(points.vectors.length);
  order.forEach((row, i) =>
    corpus.set(points.vectors.subarray(row * dimension, (row + 1) * dimension), i * dimension),
  );
  const queryData = new Float32Array(queries.length * dimension);
  queries.forEach((query, i) => queryData.set(query, i * dimension));
  const results = semanticSearch(
    createMatrix(queryData, queries.length, dimension),
    createMatrix(corpus, order.length, dimension),
    { topK, scoreFunction: 'dot' },
  );
  return results.map((hits) =>
    hits.map(({ corpusId, score }) => ({ id: points.ids[order[corpusId]!]!, score })),
  );
}

/** The exact dot product of a query and a point (float64 accumulation). */
export function exactScore(points: ReferencePoints, query: Float32Array, id: string): number {
  const row = points.ids.indexOf(id);
  assert.ok(row >= 0, `hit "${id}" is not one of the stored points`);
  let sum = 0;
  for (let d = 0; d < points.dimension; d++) sum += query[d]! * points.vectors[row * points.dimension + d]!;
  return sum;
}

/**
 * Asserts that a store's hits are the exact top-k: same length, no repeated id, every hit's score is
 * its true dot product, and position by position the scores match the reference's. Together these
 * pin down the ranking except between points whose scores lie within `tolerance` of each other,
 * where float summation order may legitimately swap them.
 */
export function assertExactRanking(
  hits: readonly SearchHit[],
  expected: readonly ReferenceHit[],
  points: ReferencePoints,
  query: Float32Array,
  tolerance: number,
  label: string,
): void {
  assert.equal(hits.length, expected.length, `${label}: ${hits.length} hits, expected ${expected.length}`);
  assert.equal(new Set(hits.map((h) => h.id)).size, hits.length, `${label}: an id is repeated`);
  hits.forEach((hit, i) => {
    const truth = exactScore(points, query, hit.id);
    assert.ok(
      Math.abs(hit.score - truth) <= tolerance,
      `${label}: hit ${i} ("${hit.id}") scored ${hit.score}, its dot product is ${truth}`,
    );
    const want = expected[i]!;
    assert.ok(
      Math.abs(hit.score - want.score) <= tolerance,
      `${label}: rank ${i} is "${hit.id}" (${hit.score}); exact search has "${want.id}" (${want.score})`,
    );
  });
}
