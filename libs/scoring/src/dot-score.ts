import { dotAt } from './kernels.ts';
import type { Matrix } from './matrix.ts';
import { assertVectorPair, matrixPair, pairwise } from './operands.ts';

/**
 * Dot product: of two vectors, or of every row of `a` with every row of `b` (sentence-transformers'
 * `util.dot_score`). For L2-normalized embeddings such as msmarco-distilbert-cos-v5's it equals the
 * cosine similarity and skips the two norms, so it is the default score. NaN in the input gives NaN.
 */
export function dotScore(a: Float32Array, b: Float32Array): number;
export function dotScore(a: Matrix, b: Matrix): Matrix;
export function dotScore(a: Float32Array | Matrix, b: Float32Array | Matrix): number | Matrix {
  if (a instanceof Float32Array && b instanceof Float32Array) {
    assertVectorPair('dotScore', a, b);
    return dotAt(a, 0, b, 0, a.length);
  }
  const [left, right] = matrixPair('dotScore', a, b);
  return pairwise(left, right, (_i, aOff, _j, bOff) => dotAt(left.data, aOff, right.data, bOff, left.dim));
}
