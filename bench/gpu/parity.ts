/** Embeddings computed on the GPU against sentence-transformers' reference embeddings. */

export interface ReferenceCase {
  readonly name: string;
  readonly text: string;
  readonly embedding: readonly number[];
}

/**
 * Issue 5's limits: fp32 on the GPU within 1e-4 of the reference; half precision within 1e-2 and cosine >= 0.999.
 * fp32 weights computed with TF32 tensor cores (onnxruntime's CUDA default, which onnxruntime-node cannot switch
 * off: it passes only the device id to the provider) keep 10 mantissa bits, as fp16 does, so they are held to the
 * half-precision limits; `NVIDIA_TF32_OVERRIDE=0` in the environment turns TF32 off for the whole process.
 */
export const PARITY_LIMITS = {
  fp32: { maxAbsDiff: 1e-4, minCosine: 0.9999 },
  halfPrecision: { maxAbsDiff: 1e-2, minCosine: 0.999 },
} as const;

export interface ParityResult {
  readonly model: string;
  readonly variant: string;
  /** Whether CUDA libraries could use TF32 for fp32 matrix products (NVIDIA_TF32_OVERRIDE was not 0). */
  readonly tf32: boolean;
  readonly cases: number;
  readonly maxAbsDiff: number;
  readonly minCosine: number;
  readonly worstCase: string;
  readonly pass: boolean;
  readonly summary: string;
}

function limitsFor(variant: string, tf32: boolean) {
  return variant === 'fp32' && !tf32 ? PARITY_LIMITS.fp32 : PARITY_LIMITS.halfPrecision;
}

/** What the CUDA libraries of this process do with fp32 matrix products. */
export function tf32Enabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NVIDIA_TF32_OVERRIDE !== '0';
}

/** The variant as a table shows it: fp32 computed with TF32 is not fp32 arithmetic. */
export function mathLabel(result: Pick<ParityResult, 'variant' | 'tf32'>): string {
  return result.variant === 'fp32' && result.tf32 !== false ? 'fp32 (TF32)' : result.variant;
}

export function compareToReference(
  model: string,
  variant: string,
  cases: readonly ReferenceCase[],
  vectors: Float32Array,
  dimension: number,
  tf32: boolean,
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
  const limits = limitsFor(variant, tf32);
  const pass = maxAbsDiff <= limits.maxAbsDiff && minCosine >= limits.minCosine;
  const summary =
    `${cases.length} texts, max |diff| ${maxAbsDiff.toExponential(2)} (limit ${limits.maxAbsDiff}), ` +
    `min cosine ${minCosine.toFixed(6)} (limit ${limits.minCosine})`;
  return { model, variant, tf32, cases: cases.length, maxAbsDiff, minCosine, worstCase, pass, summary };
}
