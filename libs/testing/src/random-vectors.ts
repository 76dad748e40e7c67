/** Deterministic test data: seeded random numbers and unit vectors (what the encoder's output looks like). */

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Scales `vector` in place to unit length and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** `count` random unit vectors of `dimension` floats, row-major. */
export function randomUnitVectors(count: number, dimension: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dimension);
  for (let i = 0; i < count; i++) {
    const row = data.subarray(i * dimension, (i + 1) * dimension);
    for (let d = 0; d < dimension; d++) row[d] = gaussian(random);
    normalize(row);
  }
  return data;
}

/** A unit vector near `vector`: it plus gaussian noise of the given scale, renormalized. */
export function perturb(vector: Float32Array, scale: number, random: () => number): Float32Array {
  return normalize(vector.map((x) => x + scale * gaussian(random)));
}

/** A deterministic unit vector for an id (the same in every process): what a re-embedded shard yields. */
export function vectorForId(id: string, dimension: number): Float32Array {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return randomUnitVectors(1, dimension, hash);
}
