import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@embedline/testing';
import { cosSim } from './cos-sim.ts';
import { dotScore } from './dot-score.ts';
import { createMatrix, matrixFromRows, matrixRow, type Matrix } from './matrix.ts';
import {
  ExactSearch,
  semanticSearch,
  semanticSearchStream,
  type CorpusChunk,
  type ScoreFunction,
  type SemanticSearchOptions,
} from './semantic-search.ts';
import type { ScoredId } from './top-k-heap.ts';

const hits = (pairs: [number, number][]) => pairs.map(([corpusId, score]) => ({ corpusId, score }));

const QUERIES = matrixFromRows([
  [1, 2, 3],
  [0.5, -1, 0.25],
]);
const CORPUS = matrixFromRows([
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, 1, 1],
  [-1, 2, 0.5],
]);

describe('semanticSearch', () => {
  test('dot: the same hits as sentence-transformers util.semantic_search(top_k=3, dot_score)', () => {
    // q0 . rows = 1, 2, 3, 6, -1 + 4 + 1.5 = 4.5;  q1 . rows = 0.5, -1, 0.25, -0.25, -0.5 - 2 + 0.125 = -2.375
    assert.deepEqual(semanticSearch(QUERIES, CORPUS, { topK: 3 }), [
      hits([
        [3, 6],
        [4, 4.5],
        [2, 3],
      ]),
      hits([
        [0, 0.5],
        [2, 0.25],
        [3, -0.25],
      ]),
    ]);
  });

  test('cos, top_k above the corpus size: every row, ranked by cosine', () => {
    // |q0| = sqrt 14; row norms 1, 1, 1, sqrt 3, sqrt 5.25. sentence-transformers gives the same order.
    const s14 = Math.sqrt(14);
    const [q0] = semanticSearch(QUERIES, CORPUS, { topK: 10, scoreFunction: 'cos' });
    assert.deepEqual(
      q0,
      hits([
        [3, 6 / (s14 * Math.sqrt(3))],
        [2, 3 / s14],
        [1, 2 / s14],
        [4, 4.5 / (s14 * Math.sqrt(5.25))],
        [0, 1 / s14],
      ]),
    );
  });

  test('equal scores come by lower corpus id, also when chunks arrive in reverse', () => {
    const corpus = matrixFromRows([
      [1, 0],
      [0, 1],
      [1, 0],
      [1, 0],
      [2, 0],
    ]);
    const query = matrixFromRows([[1, 0]]);
    const expected = [
      hits([
        [4, 2],
        [0, 1],
        [2, 1],
      ]),
    ];
    assert.deepEqual(semanticSearch(query, corpus, { topK: 3 }), expected);
    const reversed: CorpusChunk[] = [
      { matrix: slice(corpus, 3, 5), idOffset: 3 },
      { matrix: slice(corpus, 0, 3), idOffset: 0 },
    ];
    assert.deepEqual(semanticSearch(query, reversed, { topK: 3 }), expected);
  });

  test('edge cases: empty corpus, no queries, topK 0', () => {
    assert.deepEqual(semanticSearch(QUERIES, matrixFromRows([], 3)), [[], []]);
    assert.deepEqual(semanticSearch(QUERIES, []), [[], []]);
    assert.deepEqual(semanticSearch(matrixFromRows([], 3), CORPUS), []);
    assert.deepEqual(semanticSearch(QUERIES, CORPUS, { topK: 0 }), [[], []]);
  });

  test('cos with zero vectors: score 0, between positive and negative scores', () => {
    const corpus = matrixFromRows([
      [-1, 0],
      [0, 0],
      [1, 0],
    ]);
    assert.deepEqual(semanticSearch(matrixFromRows([[2, 0]]), corpus, { scoreFunction: 'cos' }), [
      hits([
        [2, 1],
        [1, 0],
        [0, -1],
      ]),
    ]);
    assert.deepEqual(semanticSearch(matrixFromRows([[0, 0]]), corpus, { scoreFunction: 'cos' }), [
      hits([
        [0, 0],
        [1, 0],
        [2, 0],
      ]),
    ]);
  });

  test('NaN in the embeddings is refused, naming the query and corpus id', () => {
    const corpus = matrixFromRows([
      [1, 0, 0],
      [NaN, 0, 0],
    ]);
    assert.throws(() => semanticSearch(QUERIES, corpus), /score of query 0 against corpus id 1 is NaN/);
  });

  test('bad arguments are refused with the value', () => {
    assert.throws(
      () => semanticSearch(QUERIES, matrixFromRows([[1, 2]])),
      /dimension mismatch: queries have dimension 3, corpus chunk has dimension 2/,
    );
    assert.throws(
      () => semanticSearch(QUERIES, CORPUS, { topK: -1 }),
      /topK must be an integer >= 0, got -1/,
    );
    assert.throws(
      () => semanticSearch(QUERIES, CORPUS, { topK: 1.5 }),
      /topK must be an integer >= 0, got 1.5/,
    );
    assert.throws(
      () => semanticSearch(QUERIES, CORPUS, { queryChunkSize: 0 }),
      /queryChunkSize must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => semanticSearch(QUERIES, CORPUS, { corpusChunkSize: 0 }),
      /corpusChunkSize must be an integer >= 1, got 0/,
    );
    const l2 = { scoreFunction: 'l2' as ScoreFunction };
    assert.throws(
      () => semanticSearch(QUERIES, CORPUS, l2),
      /scoreFunction must be 'dot' or 'cos', got 'l2'/,
    );
    assert.throws(
      () => semanticSearch(QUERIES, [{ matrix: CORPUS, idOffset: -2 }]),
      /idOffset must be a non-negative safe integer, got -2/,
    );
    const search = new ExactSearch(QUERIES);
    search.results();
    assert.throws(() => search.add(CORPUS), /add\(\) after results\(\)/);
  });

  test('a list or generator of plain matrices gets consecutive ids', () => {
    function* chunks() {
      yield slice(CORPUS, 0, 2);
      yield slice(CORPUS, 2, 2); // an empty chunk moves nothing
      yield slice(CORPUS, 2, 5);
    }
    const whole = semanticSearch(QUERIES, CORPUS, { topK: 4 });
    assert.deepEqual(semanticSearch(QUERIES, chunks(), { topK: 4 }), whole);
    assert.deepEqual(semanticSearch(QUERIES, [...chunks()], { topK: 4 }), whole);
  });

  test('semanticSearchStream reads an async iterable', async () => {
    async function* chunks() {
      yield slice(CORPUS, 0, 4);
      await Promise.resolve();
      yield { matrix: slice(CORPUS, 4, 5), idOffset: 4 };
    }
    assert.deepEqual(
      await semanticSearchStream(QUERIES, chunks(), { topK: 2 }),
      semanticSearch(QUERIES, CORPUS, { topK: 2 }),
    );
  });
});

describe('semanticSearch against a brute-force full sort (property test)', () => {
  // Few distinct coordinates, so equal scores (the tie rule) are common.
  const LEVELS = [-1, -0.5, 0, 0.5, 1];
  const SETTINGS: SemanticSearchOptions[] = [
    { queryChunkSize: 1, corpusChunkSize: 1 },
    { queryChunkSize: 3, corpusChunkSize: 7 },
    { queryChunkSize: 2, corpusChunkSize: 64 },
    {},
  ];

  test('200 random cases, chunk sizes and chunkings agree with the full sort', () => {
    const random = seededRandom(20240611);
    const int = (n: number) => Math.floor(random() * n);
    for (let trial = 0; trial < 200; trial++) {
      const dim = 1 + int(9);
      const queries = randomMatrix(1 + int(7), dim, random);
      const corpus = randomMatrix(int(150), dim, random);
      const scoreFunction: ScoreFunction = trial % 2 === 0 ? 'dot' : 'cos';
      const topK = [0, 1, 5, corpus.rows, corpus.rows + 3][trial % 5]!;
      const expected = bruteForce(queries, corpus, topK, scoreFunction);
      const label = `trial ${trial}: ${queries.rows} queries, ${corpus.rows} rows of ${dim}, k ${topK}, ${scoreFunction}`;
      for (const setting of SETTINGS) {
        const options = { ...setting, topK, scoreFunction };
        assert.deepEqual(
          semanticSearch(queries, corpus, options),
          expected,
          `${label}, ${JSON.stringify(setting)}`,
        );
      }
      const shuffled = shuffle(randomChunks(corpus, int), random);
      assert.deepEqual(
        semanticSearch(queries, shuffled, { topK, scoreFunction }),
        expected,
        `${label}, shuffled chunks`,
      );
    }
  });

  function randomMatrix(rows: number, dim: number, random: () => number): Matrix {
    return createMatrix(
      Float32Array.from({ length: rows * dim }, () => LEVELS[Math.floor(random() * LEVELS.length)]!),
      rows,
      dim,
    );
  }

  /** Every (score, id) pair, sorted by score descending then id ascending, cut at k. */
  function bruteForce(queries: Matrix, corpus: Matrix, topK: number, fn: ScoreFunction): ScoredId[][] {
    const score = fn === 'dot' ? dotScore : cosSim;
    return Array.from({ length: queries.rows }, (_, q) => {
      const all = Array.from({ length: corpus.rows }, (_, id) => ({
        corpusId: id,
        score: score(matrixRow(queries, q), matrixRow(corpus, id)),
      }));
      all.sort((a, b) => b.score - a.score || a.corpusId - b.corpusId);
      return all.slice(0, topK);
    });
  }

  function randomChunks(corpus: Matrix, int: (n: number) => number): CorpusChunk[] {
    const chunks: CorpusChunk[] = [];
    for (let start = 0; start < corpus.rows;) {
      const end = Math.min(corpus.rows, start + 1 + int(40));
      chunks.push({ matrix: slice(corpus, start, end), idOffset: start });
      start = end;
    }
    return chunks;
  }
});

function slice(m: Matrix, start: number, end: number): Matrix {
  return createMatrix(m.data.subarray(start * m.dim, end * m.dim), end - start, m.dim);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
