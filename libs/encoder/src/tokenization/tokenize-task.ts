import type { ModelSpec } from '../model/model-spec.ts';

/** What a tokenizer thread needs to rebuild the model's tokenizer (plain data: it crosses threads). */
export type TokenizerWorkerConfig = Pick<
  ModelSpec,
  'tokenizerJson' | 'tokenizerConfig' | 'maxSeqLength' | 'lowerCaseInput'
>;

/**
 * The token ids of a run of n texts in one transferable array, so that a chunk crosses threads
 * without copying: `n + 1` offsets first (relative to where the ids start), then every text's ids;
 * text i's ids are `chunk[n + 1 + chunk[i] .. n + 1 + chunk[i + 1])`.
 */
export type TokenizedChunk = Int32Array;

/** Per-text views of a chunk (see TokenizedChunk); no copy. */
export function splitChunk(chunk: TokenizedChunk, texts: number): Int32Array[] {
  const start = texts + 1;
  return Array.from({ length: texts }, (_, i) => chunk.subarray(start + chunk[i]!, start + chunk[i + 1]!));
}
