/**
 * A dense row-major matrix of float32: row `i` is `data[i * dim .. (i + 1) * dim)`.
 *
 * Embeddings are matrices of `rows` vectors of `dim` floats. A score matrix (queries x corpus) uses the
 * same shape with `dim` = number of corpus rows, so one type serves both and the data stays one
 * contiguous buffer that can come straight from a store, a file or a worker without copying.
 */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

/** Wraps `data` (no copy) after checking that it holds exactly `rows * dim` floats. */
export function createMatrix(data: Float32Array, rows: number, dim: number): Matrix {
  const matrix = { data, rows, dim };
  assertMatrix(matrix, 'matrix');
  return matrix;
}

/**
 * Copies nested arrays into a matrix. `dim` is required for an empty list (there is no row to read it
 * from) and, when given, every row must have that length.
 */
export function matrixFromRows(rows: readonly (readonly number[])[], dim?: number): Matrix {
  const width = dim ?? rows[0]?.length;
  if (width === undefined)
    throw new Error('matrixFromRows: cannot infer the dimension of an empty list of rows; pass dim');
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new Error(`matrixFromRows: row ${i} has ${row.length} values, expected ${width}`);
    data.set(row, i * width);
  });
  return createMatrix(data, rows.length, width);
}

/** A one-row matrix over the vector's own buffer (no copy). */
export function matrixFromVector(vector: Float32Array): Matrix {
  return createMatrix(vector, 1, vector.length);
}

/** Row `i` as a view into the matrix buffer (no copy). */
export function matrixRow(matrix: Matrix, i: number): Float32Array {
  if (!Number.isInteger(i) || i < 0 || i >= matrix.rows) {
    throw new Error(`matrixRow: row ${i} is out of range for a matrix of ${matrix.rows} rows`);
  }
  return matrix.data.subarray(i * matrix.dim, (i + 1) * matrix.dim);
}

/** Nested arrays, for tests, logs and JSON. */
export function matrixToRows(matrix: Matrix): number[][] {
  return Array.from({ length: matrix.rows }, (_, i) => Array.from(matrixRow(matrix, i)));
}

/**
 * Checks the shape invariants. Public entry points call it because `Matrix` is a plain object type
 * that callers may build by hand, and a short buffer would otherwise read as `undefined` -> NaN
 * scores instead of failing.
 */
export function assertMatrix(matrix: Matrix, name: string): void {
  const { data, rows, dim } = matrix;
  if (!(data instanceof Float32Array)) throw new Error(`${name}: data must be a Float32Array`);
  if (!Number.isSafeInteger(rows) || rows < 0)
    throw new Error(`${name}: rows must be a non-negative integer, got ${rows}`);
  // dim 0 is allowed: it is the width of a score matrix against an empty corpus.
  if (!Number.isSafeInteger(dim) || dim < 0)
    throw new Error(`${name}: dim must be a non-negative integer, got ${dim}`);
  if (data.length !== rows * dim) {
    throw new Error(
      `${name}: data has ${data.length} floats but ${rows} rows x ${dim} dim needs ${rows * dim}`,
    );
  }
}
