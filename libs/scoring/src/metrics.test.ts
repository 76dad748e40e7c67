import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateMetric, mrrAtK, ndcgAtK, recallAtK } from './evaluate.ts';
import { ndcgAt } from './ndcg.ts';
import { parseQrels } from './qrels.ts';
import { rankDocuments } from './ranking.ts';
import { recallAt } from './recall.ts';
import { reciprocalRankAt } from './reciprocal-rank.ts';
import { parseRun } from './trec-run.ts';

const judged = (entries: Record<string, number>) => new Map(Object.entries(entries));

// q1: ranked a, b, c with grades 2, 0, 1; d (grade 2) not retrieved.
// q2: the only relevant document x comes third.
// q3: judged, nothing relevant -> not evaluated.  q4: relevant, absent from the run -> scores 0.
// q5: in the run, absent from the qrels -> not evaluated.
const QRELS = parseQrels(`
q1 0 a 2
q1 0 b 0
q1 0 c 1
q1 0 d 2
q2 0 x 1
q3 0 y 0
q4 0 z 1
`);
const RUN = parseRun(`
q1 Q0 a 1 0.9 t
q1 Q0 b 2 0.8 t
q1 Q0 c 3 0.7 t
q2 Q0 w 1 3 t
q2 Q0 v 2 2 t
q2 Q0 x 3 1 t
q3 Q0 y 1 1 t
q5 Q0 a 1 1 t
`);

describe('per-query metrics', () => {
  test('nDCG@3 of grades 2, 0, 1 with a grade-2 document unretrieved', () => {
    // DCG  = 2/log2(2) + 0/log2(3) + 1/log2(4)             = 2 + 0 + 0.5              = 2.5
    // IDCG = 2/log2(2) + 2/log2(3) + 1/log2(4)  (2, 2, 1)    = 2 + 1.2618595... + 0.5   = 3.7618595...
    const ranking = ['a', 'b', 'c'];
    const value = ndcgAt(ranking, QRELS.get('q1')!, 3);
    assert.equal(value, 2.5 / (2 + 2 / Math.log2(3) + 0.5));
    assert.equal(value, 0.6645649565734895);
    // @1: 2/1 over 2/1. @2: DCG 2, IDCG 2 + 2/log2(3).
    assert.equal(ndcgAt(ranking, QRELS.get('q1')!, 1), 1);
    assert.equal(ndcgAt(ranking, QRELS.get('q1')!, 2), 0.6131471927654584);
  });

  test('nDCG: negative grades and unjudged documents gain 0; the ideal is cut at k', () => {
    // a (grade -1) and u (unjudged) gain 0: DCG = 0 + 0 + 1/log2(4) = 0.5; IDCG = 1 (only b is relevant).
    assert.equal(ndcgAt(['a', 'u', 'b'], judged({ a: -1, b: 1 }), 3), 0.5);
    // b second: 1/log2(3) = 0.6309...
    assert.equal(ndcgAt(['a', 'b'], judged({ a: -1, b: 1 }), 3), 0.6309297535714575);
    // Three relevant documents, k = 1: the ideal is one document of grade 1, so one hit at rank 1 is perfect.
    assert.equal(ndcgAt(['a'], judged({ a: 1, b: 1, c: 1 }), 1), 1);
    assert.equal(ndcgAt([], judged({ a: 1 }), 10), 0);
    assert.equal(ndcgAt(['a'], judged({ a: 0 }), 10), 0);
  });

  test('reciprocal rank and recall', () => {
    const q2 = QRELS.get('q2')!;
    assert.equal(reciprocalRankAt(['w', 'v', 'x'], q2, 10), 1 / 3);
    assert.equal(reciprocalRankAt(['w', 'v', 'x'], q2, 2), 0);
    assert.equal(reciprocalRankAt([], q2, 2), 0);
    const q1 = QRELS.get('q1')!;
    assert.equal(recallAt(['a', 'b', 'c'], q1, 2), 1 / 3); // a of {a, c, d}
    assert.equal(recallAt(['a', 'b', 'c'], q1, 100), 2 / 3); // k past the ranking
    assert.equal(recallAt(['a'], judged({ a: 0 }), 1), 0);
  });
});

describe('rankDocuments', () => {
  test('score descending, ties by document id descending (trec_eval)', () => {
    const scores = new Map([
      ['x', 1],
      ['w', 2],
      ['z', 1],
      ['y', 1],
      ['d10', -1],
      ['d9', -1],
    ]);
    assert.deepEqual(rankDocuments(scores), ['w', 'z', 'y', 'x', 'd9', 'd10']);
  });

  test('the tie rule decides a metric: x, tied with y and z, ranks third', () => {
    const run = new Map([
      [
        'q',
        new Map([
          ['x', 1],
          ['y', 1],
          ['z', 1],
        ]),
      ],
    ]);
    const qrels = new Map([['q', judged({ x: 1 })]]);
    assert.equal(mrrAtK(qrels, run, 10).mean, 1 / 3);
  });

  test('NaN scores cannot be ranked', () => {
    assert.throws(
      () => rankDocuments(new Map([['a', NaN]]), 'q7'),
      /run: query q7 document a has score NaN, which cannot be ranked/,
    );
  });
});

describe('metrics over a run', () => {
  test('MRR@k: queries with a relevant judgement, missing ones as 0', () => {
    const at10 = mrrAtK(QRELS, RUN, 10);
    assert.deepEqual(
      [...at10.perQuery],
      [
        ['q1', 1],
        ['q2', 1 / 3],
        ['q4', 0],
      ],
    );
    assert.equal(at10.mean, (1 + 1 / 3 + 0) / 3);
    assert.deepEqual(at10.missingFromRun, ['q4']);
    assert.deepEqual(at10.unjudged, ['q3', 'q5']);
    assert.equal(mrrAtK(QRELS, RUN, 2).mean, 1 / 3); // q2's x is at rank 3
  });

  test('nDCG@k', () => {
    // q2: x at rank 3 -> (1/log2(4)) / 1 = 0.5.
    const at3 = ndcgAtK(QRELS, RUN, 3);
    assert.deepEqual(
      [...at3.perQuery],
      [
        ['q1', 0.6645649565734895],
        ['q2', 0.5],
        ['q4', 0],
      ],
    );
    assert.equal(at3.mean, (0.6645649565734895 + 0.5 + 0) / 3);
    assert.equal(ndcgAtK(QRELS, RUN, 1).mean, 1 / 3);
  });

  test('Recall@k', () => {
    assert.deepEqual(
      [...recallAtK(QRELS, RUN, 2).perQuery],
      [
        ['q1', 1 / 3],
        ['q2', 0],
        ['q4', 0],
      ],
    );
    assert.equal(recallAtK(QRELS, RUN, 3).mean, (2 / 3 + 1 + 0) / 3);
  });

  test('a query with an empty ranking counts as missing; a custom metric plugs in', () => {
    const run = new Map([['q2', new Map<string, number>()]]);
    const result = evaluateMetric(QRELS, run, 5, (ranking) => ranking.length);
    assert.deepEqual(
      [...result.perQuery],
      [
        ['q1', 0],
        ['q2', 0],
        ['q4', 0],
      ],
    );
    assert.deepEqual(result.missingFromRun, ['q1', 'q2', 'q4']);
    assert.deepEqual(result.unjudged, []);
  });

  test('refusals: no relevant judgement at all, k < 1, non-numeric grades', () => {
    assert.throws(() => mrrAtK(parseQrels('q 0 a 0\n'), RUN, 10), /no query has a relevant judgement/);
    assert.throws(() => mrrAtK(new Map(), RUN, 10), /no query has a relevant judgement/);
    assert.throws(() => ndcgAtK(QRELS, RUN, 0), /k must be an integer >= 1, got 0/);
    assert.throws(
      () => recallAtK(new Map([['q', judged({ a: NaN })]]), RUN, 1),
      /qrels: query q document a has relevance NaN/,
    );
  });
});
