import type { BatchPlan } from './plan-batches.ts';

/** A batch ready for the inference thread: right-padded ids and each row's real length. */
export interface PaddedBatch {
  readonly ids: Int32Array;
  readonly lengths: Int32Array;
  readonly batchSize: number;
  readonly seqLen: number;
}

/** Lays out one planned batch as a dense `batchSize x seqLen` id matrix, padded with `padId`. */
export function padBatch(tokenized: readonly ArrayLike<number>[], plan: BatchPlan, padId: number): PaddedBatch {
  const batchSize = plan.indices.length;
  const ids = new Int32Array(batchSize * plan.seqLen).fill(padId);
  const lengths = new Int32Array(batchSize);
  plan.indices.forEach((index, row) => {
    const tokens = tokenized[index]!;
    ids.set(tokens, row * plan.seqLen);
    lengths[row] = tokens.length;
  });
  return { ids, lengths, batchSize, seqLen: plan.seqLen };
}
