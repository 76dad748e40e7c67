import { assertMatrix, type Matrix } from './matrix.ts';

/**
 * Argument checks shared by the score functions: they accept two vectors or two matrices, and
 * a dimension mismatch names both sides, since the usual cause is mixing models (384-d vs 768-d).
 */
export function assertVectorPair(fn: string, a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw dimensionMismatch(fn, a.length, b.length);
}

/** The two operands as matrices, after checking shapes and that their dimensions agree. */
export function matrixPair(fn: string, a: Float32Array | Matrix, b: Float32Array | Matrix): [Matrix, Matrix] {
  if (a instanceof Float32Array || b instanceof Float32Array) {
    throw new Error(
      `${fn}: pass two vectors (Float32Array) or two matrices, not one of each; wrap a vector with matrixFromVector`,
    );
  }
  assertMatrix(a, `${fn} a`);
  assertMatrix(b, `${fn} b`);
  if (a.dim !== b.dim) throw dimensionMismatch(fn, a.dim, b.dim);
  return [a, b];
}

export function dimensionMismatch(fn: string, aDim: number, bDim: number): Error {
  return new Error(`${fn}: dimension mismatch: a has dimension ${aDim}, b has dimension ${bDim}`);
}

/**
 * The a.rows x b.rows matrix of `score(i, aOffset, j, bOffset)`, like sentence-transformers' pairwise
 * util functions (row i = query i, column j = corpus row j). Stored as float32, torch's dtype.
 */
export function pairwise(
  a: Matrix,
  b: Matrix,
  score: (i: number, aOff: number, j: number, bOff: number) => number,
): Matrix {
  const out = new Float32Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    const aOff = i * a.dim;
    const outOff = i * b.rows;
    for (let j = 0; j < b.rows; j++) out[outOff + j] = score(i, aOff, j, j * b.dim);
  }
  return { data: out, rows: a.rows, dim: b.rows };
}
