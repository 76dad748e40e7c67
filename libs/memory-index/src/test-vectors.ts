/** Seeded unit vectors for this lib's tests (row-major, `count x dimension`). */
export function unitVectors(count: number, dimension: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  const data = new Float32Array(count * dimension);
  for (let row = 0; row < count; row++) {
    const vector = data.subarray(row * dimension, (row + 1) * dimension);
    for (let d = 0; d < dimension; d++) vector[d] = random();
    const norm = Math.hypot(...vector);
    for (let d = 0; d < dimension; d++) vector[d]! /= norm;
  }
  return data;
}

/** Row `i` of a row-major matrix, as a copy. */
export function rowOf(data: Float32Array, dimension: number, i: number): Float32Array {
  return data.slice(i * dimension, (i + 1) * dimension);
}
