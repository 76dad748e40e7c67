/**
 * One benchmark process for transformers.js' feature-extraction pipeline (pooling 'mean',
 * normalize true) on the same ONNX file, onnxruntime-node and thread count as our encoder.
 *
 * Batching: texts are sorted by character length, longest first, and passed in calls of
 * --batch-size (default 32) texts, then put back in input order: what SentenceTransformer.encode()
 * does. One call with every text would pad them all to the longest (384 tokens) and compute several
 * times more tokens than needed, which measures padding, not the library.
 *
 * Truncation: transformers.js truncates at the tokenizer's model_max_length (tokenizer_config.json:
 * 512 for msmarco-distilbert-cos-v5), not at sentence-transformers' max_seq_length (384), and it
 * truncates by cutting the token list, which drops the trailing [SEP] that Hugging Face tokenizers
 * keeps. Both would change the embeddings of long texts, so this process sets model_max_length to
 * the model's max_seq_length and keeps the last token ([SEP]) when it cuts: the timed work and the
 * outputs are then those of the other systems. After the timed run, the texts over the limit are
 * encoded again the stock way (both variants) into <out>.stock.f32, so the report shows what an
 * unpatched pipeline would give.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { loadModelSpec } from '@embedline/encoder';
import {
  packageVersion,
  parseSystemArgs,
  readPassageTexts,
  seconds,
  writeSystemResult,
} from '../protocol.ts';

const args = parseSystemArgs();
const texts = readPassageTexts(args.passages);
const modelDir = resolve(args.model);
// sentence-transformers' rule for the truncation length, as our encoder reads it.
const maxSeqLength = loadModelSpec(modelDir).maxSeqLength;

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = dirname(modelDir) + sep;

const loadStart = process.hrtime.bigint();
const extractor = await pipeline('feature-extraction', basename(modelDir), {
  dtype: 'fp32',
  device: 'cpu',
  session_options: { intraOpNumThreads: args.threads, interOpNumThreads: 1 },
});
const loadSeconds = seconds(loadStart);

interface Encoding {
  [key: string]: unknown[];
}
/** The two members of transformers.js' tokenizer that decide truncation (not part of its typed API). */
interface TokenizerInternals {
  _tokenizerConfig: Record<string, unknown>;
  _encode_plus(text: string, options?: Record<string, unknown>): Encoding;
}
const tokenizer = extractor.tokenizer as unknown as TokenizerInternals;
const stockMaxLength = tokenizer._tokenizerConfig.model_max_length;
const stockEncodePlus = tokenizer._encode_plus.bind(tokenizer);

/** 'exact': truncate like HF tokenizers; 'stock-384': model_max_length 384 only; 'stock': as shipped. */
function setTruncation(mode: 'exact' | 'stock-384' | 'stock'): void {
  tokenizer._tokenizerConfig.model_max_length = mode === 'stock' ? stockMaxLength : maxSeqLength;
  tokenizer._encode_plus =
    mode !== 'exact'
      ? stockEncodePlus
      : (text, options) => {
          const encoding = stockEncodePlus(text, options);
          for (const key of Object.keys(encoding)) {
            const values = encoding[key]!;
            if (values.length > maxSeqLength)
              encoding[key] = [...values.slice(0, maxSeqLength - 1), values.at(-1)];
          }
          return encoding;
        };
}

const dimension = loadModelSpec(modelDir).dimension;

async function encodeAll(all: readonly string[], batchSize: number): Promise<Float32Array> {
  const order = all.map((_, i) => i).sort((a, b) => all[b]!.length - all[a]!.length || a - b);
  const out = new Float32Array(all.length * dimension);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const output = await extractor(
      indices.map((i) => all[i]!),
      { pooling: 'mean', normalize: true },
    );
    const data = output.data as Float32Array;
    if (output.dims.length !== 2 || output.dims[1] !== dimension) {
      throw new Error(`unexpected output shape [${output.dims.join(', ')}]`);
    }
    indices.forEach((index, row) =>
      out.set(data.subarray(row * dimension, (row + 1) * dimension), index * dimension),
    );
  }
  return out;
}

setTruncation('exact');
await encodeAll(texts.slice(0, args.warmup), args.batchSize);

const start = process.hrtime.bigint();
const vectors = await encodeAll(texts, args.batchSize);
const elapsed = seconds(start);

// Untimed: tokens seen (with the truncation used above), then the over-length texts the stock way.
const lengths = texts.map((text) => tokenizer._encode_plus(text).input_ids!.length);
const untruncated = texts.map((text) => extractor.tokenizer.encode(text).length);
const overLength = untruncated.flatMap((n, i) => (n > maxSeqLength ? [i] : []));
// Where the tokenizer config already says max_seq_length, 'stock' and 'stock-384' are the same.
const stockVariants =
  stockMaxLength === maxSeqLength ? (['stock'] as const) : (['stock', 'stock-384'] as const);
const stock = new Float32Array(overLength.length * dimension * stockVariants.length);
if (overLength.length > 0) {
  const subset = overLength.map((i) => texts[i]!);
  for (const [v, variant] of stockVariants.entries()) {
    setTruncation(variant);
    stock.set(await encodeAll(subset, args.batchSize), v * overLength.length * dimension);
  }
  setTruncation('exact');
}
writeFileSync(`${args.out}.stock.f32`, new Uint8Array(stock.buffer));

const transformersUrl = import.meta.resolve('@huggingface/transformers');
writeSystemResult(args.out, vectors, {
  system: 'transformersjs',
  passages: texts.length,
  tokens: lengths.reduce((sum, n) => sum + n, 0),
  seconds: elapsed,
  loadSeconds,
  dimension,
  threads: args.threads,
  versions: {
    node: process.versions.node,
    '@huggingface/transformers': packageVersion('@huggingface/transformers', transformersUrl),
    'onnxruntime-node': packageVersion('onnxruntime-node', transformersUrl),
  },
  settings: {
    batchSize: args.batchSize,
    order: 'by characters, longest first (as sentence-transformers)',
    truncation: `at ${maxSeqLength} tokens, [SEP] kept (patched; stock: model_max_length ${String(stockMaxLength)}, cut drops [SEP])`,
    intraOpNumThreads: args.threads,
  },
  extra: {
    stockModelMaxLength: stockMaxLength,
    maxSeqLength,
    overLengthIndices: overLength,
    overLengthTokens: overLength.map((i) => untruncated[i]),
    stockVariants,
  },
});
