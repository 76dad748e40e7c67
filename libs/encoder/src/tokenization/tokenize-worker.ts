/**
 * Runs in a thread of the encoder's tokenizer pool: the model's tokenizer, built once per thread,
 * applied to chunks of texts. Tokenization is pure JavaScript (~6k MS MARCO-length passages/s per
 * thread on one core), so a GPU that embeds 20k/s needs it on several threads (docs/gpu.md).
 */
import { move, workerData } from 'piscina';
import { TextTokenizer } from './text-tokenizer.ts';
import { packChunk, type TokenizedChunk, type TokenizerWorkerConfig } from './tokenize-task.ts';

const tokenizer = new TextTokenizer(workerData as TokenizerWorkerConfig);

export default function tokenize(texts: readonly string[]): TokenizedChunk {
  return move(packChunk(texts.map((text) => tokenizer.tokenize(text)))) as TokenizedChunk;
}
