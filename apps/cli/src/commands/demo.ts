import { Command, InvalidArgumentError } from 'commander';
import { readTrecDocuments, type CorpusRecord } from '@embedline/corpus';
import { Encoder, resolveModel } from '@embedline/encoder';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import { fileURLToPath } from 'node:url';
import { printReferenceModelWarning } from '../reference-model-warning.ts';
import { createLogger } from '@embedline/config';

const BUNDLED_CORPUS = fileURLToPath(new URL('../../../../data/vaswani/doc-text.trec', import.meta.url));
/** Vaswani query 1, so the demo has something sensible to ask of the bundled corpus. */
const DEFAULT_QUERY = 'measurement of dielectric constant of liquids by the use of microwave techniques';
const ENCODE_CHUNK = 1024;

interface DemoOptions {
  corpus: string;
  topK: number;
  modelDir?: string;
  variant: string;
  limit?: number;
}

/** `embedline demo`: embed a TREC corpus on this machine and answer a query by exact search. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Embed the bundled Vaswani corpus (or --corpus) and print the top hits for a query, by exact search.',
    )
    .argument('[query...]', 'the query', [])
    .option('--corpus <path>', 'a TREC <DOC> corpus', BUNDLED_CORPUS)
    .option('--top-k <n>', 'hits to print', positiveInt, 10)
    .option('--model-dir <dir>', 'a local sentence-transformers model folder (skips cache and hub)')
    .option(
      '--variant <name>',
      'ONNX variant: fp32 (onnx/model.onnx) or the suffix of onnx/model_<name>.onnx',
      'fp32',
    )
    .option('--limit <n>', 'embed only the first n documents', positiveInt)
    .action(async (words: string[], options: DemoOptions) =>
      runDemo(words.join(' ') || DEFAULT_QUERY, options),
    );
}

async function runDemo(query: string, options: DemoOptions): Promise<void> {
  const log = createLogger('demo');
  const model = await resolveModel({
    modelDir: options.modelDir,
    variant: options.variant,
    log: (m) => log.info(m),
  });
  if (model.warning !== undefined) printReferenceModelWarning(model.warning);
  const encoder = await Encoder.load({ modelDir: model.dir, variant: options.variant }, log);
  try {
    const records = await readCorpus(options.corpus, options.limit);
    const corpus = await embedAll(encoder, records);
    const [queryVector] = [(await encoder.encode([query])).vectors];
    const [hits] = semanticSearch(createMatrix(queryVector!, 1, corpus.dim), corpus, { topK: options.topK });
    console.log(`\nquery: ${query}\n`);
    hits!.forEach((hit, rank) => {
      const record = records[hit.corpusId]!;
      console.log(
        `${String(rank + 1).padStart(3)}. ${hit.score.toFixed(4)}  [${record.id}] ${snippet(record.text)}`,
      );
    });
    if (model.warning !== undefined)
      printReferenceModelWarning('(reminder) these hits come from the random-weight reference model.');
  } finally {
    await encoder.close();
  }
}

async function readCorpus(path: string, limit?: number): Promise<CorpusRecord[]> {
  const records: CorpusRecord[] = [];
  let rejected = 0;
  for await (const result of readTrecDocuments(path)) {
    if (result.ok) records.push(result.record);
    else {
      rejected += 1;
      console.error(`${path}:${result.rejected.line}: skipped: ${result.rejected.reason}`);
    }
    if (limit !== undefined && records.length >= limit) break;
  }
  console.error(`read ${records.length} documents from ${path} (${rejected} rejected)`);
  return records;
}

async function embedAll(encoder: Encoder, records: readonly CorpusRecord[]) {
  const { dimension } = encoder.describe();
  const vectors = new Float32Array(records.length * dimension);
  const started = performance.now();
  for (let start = 0; start < records.length; start += ENCODE_CHUNK) {
    const chunk = records.slice(start, start + ENCODE_CHUNK).map((r) => r.text);
    vectors.set((await encoder.encode(chunk)).vectors, start * dimension);
    const done = start + chunk.length;
    const seconds = (performance.now() - started) / 1000;
    console.error(`embedded ${done}/${records.length} passages (${(done / seconds).toFixed(0)} passages/s)`);
  }
  return createMatrix(vectors, records.length, dimension);
}

function snippet(text: string, width = 100): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
