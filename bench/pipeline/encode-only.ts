/**
 * One encoder-only baseline process: the same encoder, model and settings a pipeline worker uses
 * (apps/worker passes modelDir, variant, provider, intraOpThreads, inference and tokenizer threads,
 * maxBatchTokens; everything else is the library default), on its part of the same corpus file. It
 * loads the model, warms up, prints READY, waits for "go" on stdin (so several parts start together,
 * as the pipeline's workers run together), times encode(all its texts) once and prints the result as
 * its last stdout line.
 *
 *   node --import tsx bench/pipeline/encode-only.ts --corpus F.tsv --model DIR --threads 2
 *        --max-batch-tokens 16384 [--part 1 --parts 2] [--warmup 32] [--spinning]
 *        [--provider cpu|cuda] [--variant fp32] [--inference-threads 1] [--tokenizer-threads 0]
 *
 * `--spinning`: onnxruntime's intra-op threads busy-wait between operators (the workers' default is to sleep,
 * EMBEDLINE_INTRA_OP_SPINNING=0), to compare the two.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Encoder } from '@embedline/encoder';
import { positiveInt, seconds } from '../encoder/protocol.ts';
import { parseTsvTexts } from './corpora.ts';
import { DEVICE_FLAG_OPTIONS, deviceFlags } from './process-flags.ts';
import { fail } from './results.ts';

export interface EncodeOnlyResult {
  readonly part: number;
  readonly passages: number;
  readonly seconds: number;
  /** CPU seconds of the whole process (all threads: onnxruntime's included) during encode(all). */
  readonly cpuSeconds: number;
  readonly loadSeconds: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
}

const settings = readSettings();
const all = parseTsvTexts(readFileSync(settings.corpus, 'utf8'));
const size = Math.ceil(all.length / settings.parts);
const texts = all.slice((settings.part - 1) * size, settings.part * size);

const loadStart = process.hrtime.bigint();
const encoder = await Encoder.load(settings.encoder, {
  info() {},
  warn: (message) => console.error(`[encode-only] ${message}`),
});
const loadSeconds = seconds(loadStart);
// A GPU figure measured on the CPU would be worse than none: the workers get the same environment, so a
// baseline that fell back means the pipeline rows would have too.
if (settings.encoder.provider === 'cuda' && encoder.describe().provider !== 'cuda') {
  fail('encode-only', 'asked for --provider cuda, but the CUDA execution provider did not load (see the warning above)');
}
await encoder.encode(texts.slice(0, settings.warmup));

process.stdout.write('READY\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'go') break;
}

const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
const result = await encoder.encode(texts);
const elapsed = seconds(start);
const cpu = process.cpuUsage(cpuStart);
await encoder.close();
const report: EncodeOnlyResult = {
  part: settings.part,
  passages: result.count,
  seconds: elapsed,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  loadSeconds,
  realTokens: result.stats.realTokens,
  paddedTokens: result.stats.paddedTokens,
};
process.stdout.write(`${JSON.stringify(report)}\n`);

/** The flags, checked before anything loads: a bad one is a one-line error, exit 2. */
function readSettings() {
  try {
    const { values } = parseArgs({
      options: {
        corpus: { type: 'string' },
        model: { type: 'string' },
        threads: { type: 'string', default: '1' },
        'max-batch-tokens': { type: 'string', default: '16384' },
        part: { type: 'string', default: '1' },
        parts: { type: 'string', default: '1' },
        warmup: { type: 'string', default: '32' },
        spinning: { type: 'boolean', default: false },
        ...DEVICE_FLAG_OPTIONS,
      },
      strict: true,
    });
    if (values.corpus === undefined || values.model === undefined) throw new Error('--corpus and --model are required');
    return {
      corpus: values.corpus,
      part: positiveInt('part', values.part),
      parts: positiveInt('parts', values.parts),
      warmup: positiveInt('warmup', values.warmup),
      encoder: {
        modelDir: values.model,
        ...deviceFlags(values),
        intraOpThreads: positiveInt('threads', values.threads),
        maxBatchTokens: positiveInt('max-batch-tokens', values['max-batch-tokens']),
        intraOpSpinning: values.spinning,
      },
    };
  } catch (error) {
    return fail('encode-only', (error as Error).message);
  }
}
