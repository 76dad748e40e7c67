import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMatrix, matrixFromRows, matrixFromVector, matrixRow, matrixToRows } from './matrix.ts';

describe('Matrix', () => {
  test('matrixFromRows copies rows into one row-major buffer', () => {
    const m = matrixFromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(m.rows, 2);
    assert.equal(m.dim, 3);
    assert.deepEqual([...m.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(matrixToRows(m), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  test('an empty matrix needs its dimension', () => {
    assert.throws(() => matrixFromRows([]), /cannot infer the dimension of an empty list of rows; pass dim/);
    const empty = matrixFromRows([], 768);
    assert.deepEqual([empty.rows, empty.dim, empty.data.length], [0, 768, 0]);
  });

  test('ragged rows are refused with the row and its length', () => {
    assert.throws(() => matrixFromRows([[1, 2], [3]]), /matrixFromRows: row 1 has 1 values, expected 2/);
    assert.throws(() => matrixFromRows([[1, 2]], 3), /matrixFromRows: row 0 has 2 values, expected 3/);
  });

  test('createMatrix wraps without copying and checks data.length === rows * dim', () => {
    const data = new Float32Array(6);
    assert.equal(createMatrix(data, 2, 3).data, data);
    assert.throws(
      () => createMatrix(new Float32Array(5), 2, 3),
      /matrix: data has 5 floats but 2 rows x 3 dim needs 6/,
    );
    assert.throws(
      () => createMatrix(new Float32Array(0), -1, 3),
      /matrix: rows must be a non-negative integer, got -1/,
    );
    assert.throws(
      () => createMatrix(new Float32Array(3), 1, 1.5),
      /matrix: dim must be a non-negative integer, got 1.5/,
    );
  });

  test('matrixRow is a view; matrixFromVector shares the vector buffer', () => {
    const m = matrixFromRows([
      [1, 2],
      [3, 4],
    ]);
    const row = matrixRow(m, 1);
    row[0] = 9;
    assert.deepEqual([...m.data], [1, 2, 9, 4]);
    assert.throws(() => matrixRow(m, 2), /row 2 is out of range for a matrix of 2 rows/);
    const v = new Float32Array([1, 2, 3]);
    const one = matrixFromVector(v);
    assert.deepEqual([one.rows, one.dim], [1, 3]);
    assert.equal(one.data, v);
  });
});
