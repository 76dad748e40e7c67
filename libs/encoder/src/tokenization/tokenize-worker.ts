/**
 * Runs in a thread of the encoder's tokenizer pool: the model's tokenizer, built once per thread,
 * applied to chunks of texts. Tokenization is pure JavaScript (~6k MS MARCO-length passages/s per
 * thread on one core), so a GPU that embeds 20k/s needs it on several threads (docs/gpu.md).
 */
import { move, workerData } from 'piscina';
import { TextTokenizer } from './text-tokenizer.ts';
import type { TokenizedChunk, TokenizerWorkerConfig } from './tokenize-task.ts';

const tokenizer = new TextTokenizer(workerData as TokenizerWorkerConfig);

export default function tokenize(texts: readonly string[]): TokenizedChunk {
  const perText = texts.map((text) => tokenizer.encode(text));
  const start = perText.length + 1;
  const total = perText.reduce((sum, ids) => sum + ids.length, 0);
  const chunk = new Int32Array(start + total);
  perText.forEach((ids, i) => {
    chunk[i + 1] = chunk[i]! + ids.length;
    chunk.set(ids, start + chunk[i]!);
  });
  return move(chunk) as TokenizedChunk;
}
