/**
 * Tokens the model computes (padding included) when texts are encoded in given windows: the
 * encoder sorts by length and pads within each encode() call's windows, so how a corpus is cut into
 * calls changes the compute. The encoder-only baseline makes one call per process (windows of the
 * encoder's sortWindow, 1024); a worker makes one call per shard (libs/pipeline/src/embed-shard.ts),
 * so shards smaller than the sortWindow pad more.
 */
import { planBatches } from '@embedline/encoder';

/** The encoder's default sortWindow (libs/encoder/src/encoder-options.ts). */
export const ENCODER_SORT_WINDOW = 1024;

export function computedTokens(
  lengths: readonly number[],
  window: number,
  limits = { maxBatchTokens: 16384, maxBatchSize: 32 },
): number {
  let total = 0;
  for (let start = 0; start < lengths.length; start += window) {
    const slice = lengths.slice(start, start + window);
    for (const plan of planBatches(slice, limits)) {
      total += plan.indices.length * plan.seqLen;
    }
  }
  return total;
}

/** Computed tokens of the encoder-only baseline: `parts` processes, each one encode() of its part. */
export function encoderOnlyComputedTokens(
  lengths: readonly number[],
  parts: number,
  maxBatchTokens: number,
): number {
  const size = Math.ceil(lengths.length / parts);
  let total = 0;
  for (let start = 0; start < lengths.length; start += size) {
    total += computedTokens(lengths.slice(start, start + size), ENCODER_SORT_WINDOW, {
      maxBatchTokens,
      maxBatchSize: 32,
    });
  }
  return total;
}

/** Computed tokens of the pipeline: shards of `shardSize`, each encoded in one call. */
export function pipelineComputedTokens(
  lengths: readonly number[],
  shardSize: number,
  maxBatchTokens: number,
): number {
  let total = 0;
  for (let start = 0; start < lengths.length; start += shardSize) {
    const shard = lengths.slice(start, start + shardSize);
    total += computedTokens(shard, ENCODER_SORT_WINDOW, {
      maxBatchTokens,
      maxBatchSize: 32,
    });
  }
  return total;
}
