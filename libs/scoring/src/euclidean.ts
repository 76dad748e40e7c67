import { squaredDistanceAt } from './kernels.ts';
import type { Matrix } from './matrix.ts';
import { assertVectorPair, matrixPair, pairwise } from './operands.ts';

/**
 * Euclidean distance (smaller is closer): of two vectors, or of every row of `a` with every row of `b`.
 * sentence-transformers' `util.euclidean_sim` returns the negated distance so that larger is better;
 * negate this to get it. For unit vectors, distance^2 = 2 - 2 * cosine. NaN in the input gives NaN.
 */
export function euclidean(a: Float32Array, b: Float32Array): number;
export function euclidean(a: Matrix, b: Matrix): Matrix;
export function euclidean(a: Float32Array | Matrix, b: Float32Array | Matrix): number | Matrix {
  if (a instanceof Float32Array && b instanceof Float32Array) {
    assertVectorPair('euclidean', a, b);
    return Math.sqrt(squaredDistanceAt(a, 0, b, 0, a.length));
  }
  const [left, right] = matrixPair('euclidean', a, b);
  return pairwise(left, right, (_i, aOff, _j, bOff) =>
    Math.sqrt(squaredDistanceAt(left.data, aOff, right.data, bOff, left.dim)),
  );
}
