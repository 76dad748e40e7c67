/** One batch of texts to run together: positions into the caller's list, and the padded length. */
export interface BatchPlan {
  readonly indices: readonly number[];
  readonly seqLen: number;
}

export interface BatchLimits {
  /** Upper bound on batch size x padded length, the real cost of one inference call. */
  readonly maxBatchTokens: number;
  /** Upper bound on texts per batch, whatever their length. */
  readonly maxBatchSize: number;
}

/**
 * Packs texts into batches the way text-embeddings-inference does: sort by token length (longest
 * first, so the largest batch runs first and memory limits show at once), then fill each batch while
 * its padded size stays within the token budget. Padding only reaches the longest text of its own
 * batch, and similar lengths share a batch, so little compute goes to [PAD] tokens. A single text
 * longer than the budget still gets a batch of its own.
 */
export function planBatches(lengths: readonly number[], limits: BatchLimits): BatchPlan[] {
  const order = lengths.map((_, index) => index).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const plans: BatchPlan[] = [];
  let current: number[] = [];
  let seqLen = 0;
  for (const index of order) {
    const length = lengths[index]!;
    const nextLen = Math.max(seqLen, length);
    const fits = current.length < limits.maxBatchSize && (current.length + 1) * nextLen <= limits.maxBatchTokens;
    if (current.length > 0 && !fits) {
      plans.push({ indices: current, seqLen });
      current = [];
      seqLen = 0;
    }
    current.push(index);
    seqLen = Math.max(seqLen, length);
  }
  if (current.length > 0) plans.push({ indices: current, seqLen });
  return plans;
}
