/** Embeddings computed on the GPU against sentence-transformers' reference embeddings. */

export interface ReferenceCase {
  readonly name: string;
  readonly text: string;
  readonly embedding: readonly number[];
}

/** Issue 5's limits: fp32 on the GPU within 1e-4 of the reference; half precision within 1e-2 and cosine >= 0.999. */
export const PARITY_LIMITS = {
  fp32: { maxAbsDiff: 1e-4, minCosine: 0.9999 },
  halfPrecision: { maxAbsDiff: 1e-2, minCosine: 0.999 },
} as const;

export interface ParityResult {
  readonly model: string;
  readonly variant: string;
  readonly cases: number;
  readonly maxAbsDiff: number;
  readonly minCosine: number;
  readonly worstCase: string;
  readonly pass: boolean;
  readonly summary: string;
}

function limitsFor(variant: string) {
  return variant === 'fp32' ? PARITY_LIMITS.fp32 : PARITY_LIMITS.halfPrecision;
}

export function compareToReference(
  model: string,
  variant: string,
  cases: readonly ReferenceCase[],
  vectors: Float32Array,
  dimension: number,
): ParityResult {
  let maxAbsDiff = 0;
  let minCosine = 1;
  let worstCase = '';
  cases.forEach((c, row) => {
    const got = vectors.subarray(row * dimension, (row + 1) * dimension);
    let dot = 0;
    let norms = 0;
    let diff = 0;
    c.embedding.forEach((expected, d) => {
      dot += expected * got[d]!;
      norms += expected * expected;
      diff = Math.max(diff, Math.abs(expected - got[d]!));
    });
    // Both sides are unit vectors, so dot / |reference| is the cosine up to float error.
    const cosine = dot / Math.sqrt(norms);
    if (diff > maxAbsDiff) worstCase = c.name;
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    minCosine = Math.min(minCosine, cosine);
  });
  const limits = limitsFor(variant);
  const pass = maxAbsDiff <= limits.maxAbsDiff && minCosine >= limits.minCosine;
  const summary =
    `${cases.length} texts, max |diff| ${maxAbsDiff.toExponential(2)} (limit ${limits.maxAbsDiff}), ` +
    `min cosine ${minCosine.toFixed(6)} (limit ${limits.minCosine})`;
  return { model, variant, cases: cases.length, maxAbsDiff, minCosine, worstCase, pass, summary };
}
