/**
 * Tokenization throughput: MS MARCO-length passages/s on the calling thread and on the encoder's
 * tokenizer pool (`tokenizerThreads`) with 1, 2, 4 threads. Why it matters: a GPU embeds ~20k
 * passages/s; tokenizers.js alone tokenized 6-17k/s on one thread, our BERT tokenizer ~120k/s on
 * plain ASCII and less on other scripts (bert-wordpiece.ts, docs/gpu.md).
 * Pool threads beyond the machine's cores cannot help: read the figures against its core count.
 *
 *   npx tsx bench/encoder/tokenize.ts [--passages 5000] [--threads 1,2,4] [--runs 3] [--model <dir>]
 */
import { parseArgs } from 'node:util';
import { loadModelSpec, TextTokenizer } from '@embedline/encoder';
import { TokenizerPool } from '../../libs/encoder/src/tokenization/tokenizer-pool.ts';
import { positiveInt } from './protocol.ts';
import { readTrecAbstracts } from './passages.ts';
import { BENCH_MODEL_DIR, tinyModel } from '../pipeline/models.ts';
import { COLLECTION_TREC } from '../pipeline/corpora.ts';
import { ROOT, fmt, logger, machineLines, median, startMachine, writeResults } from '../pipeline/results.ts';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const NAME = 'encoder-tokenize';
const log = logger(NAME);
const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '5000' },
    threads: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '3' },
    model: { type: 'string' },
  },
});
const passages = positiveInt('passages', values.passages);
const runs = positiveInt('runs', values.runs);
const threadCounts = values.threads.split(',').map((t) => positiveInt('threads', t));
// The tokenizer is what matters, not the weights: the bench model's (bert-base-uncased vocabulary) when built.
const modelDir =
  values.model ??
  (existsSync(join(ROOT, BENCH_MODEL_DIR)) ? join(ROOT, BENCH_MODEL_DIR) : tinyModel(ROOT).dir);
const spec = loadModelSpec(modelDir);
const texts = readTrecAbstracts(join(ROOT, COLLECTION_TREC)).slice(0, passages);
const machine = startMachine(log);

interface Row {
  readonly where: string;
  readonly threads: number;
  readonly passagesPerSecond: number;
  readonly tokensPerPassage: number;
}

async function timeIt(
  tokenize: () => Promise<ArrayLike<number>[]>,
): Promise<{ rate: number; tokens: number }> {
  await tokenize(); // warm-up: JIT, thread start
  const rates: number[] = [];
  let tokens = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const ids = await tokenize();
    rates.push(texts.length / ((performance.now() - started) / 1000));
    tokens = ids.reduce((sum, row) => sum + row.length, 0);
  }
  return { rate: median(rates), tokens: tokens / texts.length };
}

const rows: Row[] = [];
const here = new TextTokenizer(spec);
const single = await timeIt(async () => texts.map((text) => here.encode(text)));
rows.push({
  where: 'calling thread (tokenizerThreads 0)',
  threads: 0,
  passagesPerSecond: single.rate,
  tokensPerPassage: single.tokens,
});
for (const threads of threadCounts) {
  const pool = await TokenizerPool.start(spec, threads);
  try {
    const pooled = await timeIt(async () => (await pool.tokenize(texts)).map((tokenized) => tokenized.ids));
    rows.push({
      where: `tokenizer pool`,
      threads,
      passagesPerSecond: pooled.rate,
      tokensPerPassage: pooled.tokens,
    });
  } finally {
    await pool.close();
  }
}

writeResults(
  NAME,
  machine,
  { passages: texts.length, runs, modelDir, threads: threadCounts },
  rows,
  { calledThread: single.rate, best: Math.max(...rows.map((r) => r.passagesPerSecond)) },
  (loadAtEnd) =>
    [
      '# Tokenization throughput (passages/s)',
      '',
      ...machineLines(machine, loadAtEnd),
      `- ${fmt(texts.length)} Vaswani abstracts (~${fmt(single.tokens)} tokens each), ${relative(ROOT, spec.dir)}'s tokenizer; median of ${runs} runs`,
      '',
      '| where | threads | passages/s | vs calling thread |',
      '|---|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.where} | ${r.threads} | ${fmt(r.passagesPerSecond)} | ${fmt(r.passagesPerSecond / single.rate, 2)}x |`,
      ),
    ].join('\n'),
  log,
);
