import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  matrixFromRows,
  mrrAtK,
  ndcgAtK,
  parseQrels,
  recallAtK,
  resultsToRun,
  semanticSearch,
} from './index.ts';

test('public API end to end: search, name the hits, evaluate', () => {
  // Unit vectors: query qa points at doc A, qb between docs B and C (closer to C).
  const corpus = matrixFromRows([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  const queries = matrixFromRows([
    [1, 0, 0],
    [0, 0.6, 0.8],
  ]);
  const hits = semanticSearch(queries, corpus, { topK: 2 });
  const run = resultsToRun(hits, { queryIds: ['qa', 'qb'], docIds: ['A', 'B', 'C'] });
  // qa: A 1, B 0 (tie with C at 0, lower corpus id kept). qb: C 0.8, B 0.6 (float32 inputs).
  assert.deepEqual(
    run,
    new Map([
      [
        'qa',
        new Map([
          ['A', 1],
          ['B', 0],
        ]),
      ],
      [
        'qb',
        new Map([
          ['C', Math.fround(0.8)],
          ['B', Math.fround(0.6)],
        ]),
      ],
    ]),
  );
  const qrels = parseQrels('qa 0 A 1\nqb 0 B 2\nqb 0 C 1\n');
  // qb ranks C (1) then B (2): DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3).
  assert.equal(ndcgAtK(qrels, run, 2).perQuery.get('qb'), (1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)));
  assert.equal(mrrAtK(qrels, run, 1).mean, 1);
  assert.equal(recallAtK(qrels, run, 1).mean, (1 + 1 / 2) / 2);
});
