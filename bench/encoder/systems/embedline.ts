/**
 * One benchmark process for our encoder (@embedline/encoder): load, warm up on the first texts,
 * time encode(all texts) once, then (untimed) measure where that time went.
 */
import { Encoder, encoderOptionsSchema, planBatches, type EncoderOptions } from '@embedline/encoder';
import {
  packageVersion,
  parseSystemArgs,
  readPassageTexts,
  seconds,
  writeSystemResult,
} from '../protocol.ts';

const args = parseSystemArgs();
const texts = readPassageTexts(args.passages);
// Our encoder with its library defaults (what users get); --encoder-options (JSON) overrides any of them.
const options: EncoderOptions = {
  modelDir: args.model,
  variant: 'fp32',
  intraOpThreads: args.threads,
  ...(args.encoderOptions === undefined ? {} : (JSON.parse(args.encoderOptions) as Partial<EncoderOptions>)),
};
const limits = encoderOptionsSchema.parse(options);

const loadStart = process.hrtime.bigint();
const encoder = await Encoder.load(options, {
  info() {},
  warn: (message) => console.error(`[embedline] ${message}`),
});
const loadSeconds = seconds(loadStart);

await encoder.encode(texts.slice(0, args.warmup));

const start = process.hrtime.bigint();
const result = await encoder.encode(texts);
const elapsed = seconds(start);

// Where the time went (untimed, after the run): tokenization runs on this thread, so time it alone;
// batch planning likewise; the rest of the wall time is inference + pooling in the worker thread
// (tokenization of the next window overlaps the current window's inference).
const tokenizeStart = process.hrtime.bigint();
const lengths = texts.map((text) => encoder.tokenize(text).length);
const tokenizeSeconds = seconds(tokenizeStart);
const planStart = process.hrtime.bigint();
for (let start = 0; start < lengths.length; start += limits.sortWindow) {
  planBatches(lengths.slice(start, start + limits.sortWindow), limits);
}
const planSeconds = seconds(planStart);
const description = encoder.describe();
await encoder.close();

const encoderUrl = import.meta.resolve('@embedline/encoder');
writeSystemResult(args.out, result.vectors, {
  system: 'embedline',
  passages: result.count,
  tokens: result.stats.realTokens,
  seconds: elapsed,
  loadSeconds,
  dimension: result.dimension,
  threads: args.threads,
  versions: {
    node: process.versions.node,
    'onnxruntime-node': packageVersion('onnxruntime-node', encoderUrl),
    '@huggingface/tokenizers': packageVersion('@huggingface/tokenizers', encoderUrl),
  },
  settings: {
    variant: description.variant,
    maxSeqLength: description.maxSeqLength,
    intraOpThreads: limits.intraOpThreads,
    maxBatchTokens: limits.maxBatchTokens,
    maxBatchSize: limits.maxBatchSize,
    sortWindow: limits.sortWindow,
  },
  extra: {
    stats: result.stats,
    tokenizeSeconds,
    planSeconds,
    tokenizedLengthsMatch: lengths.reduce((sum, n) => sum + n, 0) === result.stats.realTokens,
  },
});
