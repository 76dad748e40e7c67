import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cosSim } from './cos-sim.ts';
import { dotScore } from './dot-score.ts';
import { euclidean } from './euclidean.ts';
import { matrixFromRows, matrixToRows, type Matrix } from './matrix.ts';

const v = (...xs: number[]) => new Float32Array(xs);
// Expected cells of a float32 score matrix.
const f32 = (rows: number[][]) => rows.map((row) => row.map(Math.fround));

// The same pairs sentence-transformers 6.2 gives for util.cos_sim / dot_score / euclidean_sim (negated).
const A = matrixFromRows([
  [0, 0, 0],
  [1, 2, 3],
]);
const B = matrixFromRows([
  [1, 0, 0],
  [0, 0, 0],
  [4, -5, 6],
]);

describe('dotScore', () => {
  test('vectors: 1*4 + 2*(-5) + 3*6 = 12', () => {
    assert.equal(dotScore(v(1, 2, 3), v(4, -5, 6)), 12);
  });

  test('the unrolled loop covers the remainder: dims 1..9 of 1..n against ones', () => {
    for (let n = 1; n <= 9; n++) {
      const a = Float32Array.from({ length: n }, (_, i) => i + 1);
      assert.equal(dotScore(a, new Float32Array(n).fill(1)), (n * (n + 1)) / 2, `dim ${n}`);
    }
  });

  test('matrices: rows of a against rows of b', () => {
    const s = dotScore(A, B);
    assert.deepEqual([s.rows, s.dim], [2, 3]);
    assert.deepEqual(matrixToRows(s), [
      [0, 0, 0],
      [1, 0, 12],
    ]);
  });

  test('an empty corpus gives a rows x 0 matrix', () => {
    const s = dotScore(A, matrixFromRows([], 3));
    assert.deepEqual([s.rows, s.dim, s.data.length], [2, 0, 0]);
  });

  test('NaN propagates (search rejects it; plain scores do not check)', () => {
    assert.ok(Number.isNaN(dotScore(v(NaN, 1), v(1, 1))));
  });
});

describe('cosSim', () => {
  test('vectors: 12 / (|a| |b|) = 12 / (sqrt 14 * sqrt 77)', () => {
    assert.equal(cosSim(v(1, 2, 3), v(4, -5, 6)), 12 / (Math.sqrt(14) * Math.sqrt(77)));
    assert.equal(cosSim(v(3, 4), v(6, 8)), 1);
    assert.equal(cosSim(v(1, 0), v(-2, 0)), -1);
  });

  test('a zero vector has cosine 0, with anything and with itself', () => {
    assert.equal(cosSim(v(0, 0, 0), v(1, 2, 3)), 0);
    assert.equal(cosSim(v(0, 0, 0), v(0, 0, 0)), 0);
  });

  test('matrices, zero rows included', () => {
    assert.deepEqual(
      matrixToRows(cosSim(A, B)),
      f32([
        [0, 0, 0],
        [1 / Math.sqrt(14), 0, 12 / (Math.sqrt(14) * Math.sqrt(77))],
      ]),
    );
  });
});

describe('euclidean', () => {
  test('vectors: |(1,2,3) - (4,-5,6)| = sqrt(9 + 49 + 9) = sqrt 67', () => {
    assert.equal(euclidean(v(1, 2, 3), v(4, -5, 6)), Math.sqrt(67));
    assert.equal(euclidean(v(0.1, 0.2, 0.3), v(0.1, 0.2, 0.3)), 0);
  });

  test('matrices', () => {
    // Row 0 is the origin: distances are the norms 1, 0, sqrt 77; row 1 = (1,2,3): sqrt 13, sqrt 14, sqrt 67.
    assert.deepEqual(
      matrixToRows(euclidean(A, B)),
      f32([
        [1, 0, Math.sqrt(77)],
        [Math.sqrt(13), Math.sqrt(14), Math.sqrt(67)],
      ]),
    );
  });
});

describe('argument checks', () => {
  const fns = { dotScore, cosSim, euclidean } as const;
  for (const [name, fn] of Object.entries(fns)) {
    test(`${name} names both dimensions on a mismatch`, () => {
      const score = fn as (a: Float32Array | Matrix, b: Float32Array | Matrix) => unknown;
      assert.throws(
        () => score(v(1, 2, 3), v(1, 2, 3, 4)),
        new RegExp(`${name}: dimension mismatch: a has dimension 3, b has dimension 4`),
      );
      assert.throws(
        () => score(A, matrixFromRows([[1, 2]])),
        new RegExp(`${name}: dimension mismatch: a has dimension 3, b has dimension 2`),
      );
      assert.throws(
        () => score(v(1, 2, 3), A),
        /pass two vectors \(Float32Array\) or two matrices, not one of each/,
      );
      assert.throws(
        () => score({ data: new Float32Array(5), rows: 2, dim: 3 }, A),
        /a: data has 5 floats but 2 rows x 3 dim needs 6/,
      );
    });
  }
});
