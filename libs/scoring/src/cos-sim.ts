import { clampedNormAt, dotAt } from './kernels.ts';
import type { Matrix } from './matrix.ts';
import { assertVectorPair, matrixPair, pairwise } from './operands.ts';

/**
 * Cosine similarity: of two vectors, or of every row of `a` with every row of `b`
 * (sentence-transformers' `util.cos_sim`).
 *
 * A zero vector has cosine 0 with everything (itself included), as in sentence-transformers, which
 * divides by max(|x|, 1e-12) rather than |x|; mathematically it is undefined. NaN in the input gives NaN.
 */
export function cosSim(a: Float32Array, b: Float32Array): number;
export function cosSim(a: Matrix, b: Matrix): Matrix;
export function cosSim(a: Float32Array | Matrix, b: Float32Array | Matrix): number | Matrix {
  if (a instanceof Float32Array && b instanceof Float32Array) {
    assertVectorPair('cosSim', a, b);
    const dim = a.length;
    return dotAt(a, 0, b, 0, dim) / (clampedNormAt(a, 0, dim) * clampedNormAt(b, 0, dim));
  }
  const [left, right] = matrixPair('cosSim', a, b);
  // Norms once per row, not once per pair.
  const aNorms = rowNorms(left);
  const bNorms = rowNorms(right);
  return pairwise(
    left,
    right,
    (i, aOff, j, bOff) => dotAt(left.data, aOff, right.data, bOff, left.dim) / (aNorms[i]! * bNorms[j]!),
  );
}

/** max(|row|, 1e-12) of every row. */
export function rowNorms(matrix: Matrix): Float64Array {
  const norms = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) norms[i] = clampedNormAt(matrix.data, i * matrix.dim, matrix.dim);
  return norms;
}
