import type { ModelSpec } from '../model/model-spec.ts';
import type { TokenizedText } from './text-tokenizer.ts';

/** What a tokenizer thread needs to rebuild the model's tokenizer (plain data: it crosses threads). */
export type TokenizerWorkerConfig = Pick<
  ModelSpec,
  'tokenizerJson' | 'tokenizerConfig' | 'maxSeqLength' | 'lowerCaseInput'
>;

/**
 * The token ids of a run of n texts in one transferable array, so that a chunk crosses threads
 * without copying: `n + 1` offsets first (relative to where the ids start), then n truncation flags
 * (1: text i was cut at max_seq_length), then every text's ids; text i's ids are
 * `chunk[2n + 1 + chunk[i] .. 2n + 1 + chunk[i + 1])`.
 */
export type TokenizedChunk = Int32Array;

/** Lays out tokenized texts as one chunk (see TokenizedChunk). */
export function packChunk(texts: readonly TokenizedText[]): TokenizedChunk {
  const n = texts.length;
  const start = 2 * n + 1;
  const total = texts.reduce((sum, text) => sum + text.ids.length, 0);
  const chunk = new Int32Array(start + total);
  texts.forEach(({ ids, truncated }, i) => {
    chunk[i + 1] = chunk[i]! + ids.length;
    chunk[n + 1 + i] = truncated ? 1 : 0;
    chunk.set(ids, start + chunk[i]!);
  });
  return chunk;
}

/** Per-text views of a chunk of `texts` texts (see TokenizedChunk); the ids are not copied. */
export function splitChunk(chunk: TokenizedChunk, texts: number): TokenizedText<Int32Array>[] {
  const start = 2 * texts + 1;
  return Array.from({ length: texts }, (_, i) => ({
    ids: chunk.subarray(start + chunk[i]!, start + chunk[i + 1]!),
    truncated: chunk[texts + 1 + i] === 1,
  }));
}
