/**
 * The inner loops every score and every exact search runs, millions of times per query. They read
 * rows in place (buffer + offset) so callers never allocate a subarray per row, unroll by four with
 * independent accumulators so the CPU can overlap the multiply-adds, and accumulate in float64 (JS
 * numbers), which is at least as precise as sentence-transformers' float32 torch ops.
 *
 * Callers check bounds and dimensions once, up front; these functions trust their arguments.
 */

/** Sum of a[aOff + i] * b[bOff + i] for i < dim. */
export function dotAt(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dim - (dim % 4);
  for (; i < end4; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < dim; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + (s2 + s3);
}

/** Sum of (a[aOff + i] - b[bOff + i])^2 for i < dim: summed directly, not as |a|^2 + |b|^2 - 2ab, so
 * identical vectors give exactly 0 and near-duplicates do not lose their distance to cancellation. */
export function squaredDistanceAt(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  dim: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dim - (dim % 4);
  for (; i < end4; i += 4) {
    const d0 = a[aOff + i]! - b[bOff + i]!;
    const d1 = a[aOff + i + 1]! - b[bOff + i + 1]!;
    const d2 = a[aOff + i + 2]! - b[bOff + i + 2]!;
    const d3 = a[aOff + i + 3]! - b[bOff + i + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < dim; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * torch.nn.functional.normalize's floor on a norm: sentence-transformers' cos_sim divides by
 * max(|x|, 1e-12), so a zero vector normalizes to zero and its cosine with anything is 0, not NaN.
 */
export const NORM_EPSILON = 1e-12;

/** max(|row|, NORM_EPSILON) for the row of `dim` floats at `off`. */
export function clampedNormAt(a: Float32Array, off: number, dim: number): number {
  return Math.max(Math.sqrt(dotAt(a, off, a, off, dim)), NORM_EPSILON);
}
