import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createLogger, loadEnv, positiveIntFlag, type EmbedlineEnv } from '@embedline/config';
import { CORPUS_FORMATS, openCorpus, textToEmbed, type CorpusRecord } from '@embedline/corpus';
import { openEncoder, type Encoder } from '@embedline/encoder';
import { createMatrix, semanticSearch, type Matrix } from '@embedline/scoring';
import { printReferenceModelWarning } from '../reference-model-warning.ts';

const BUNDLED_CORPUS = fileURLToPath(new URL('../../../../data/vaswani/doc-text.trec', import.meta.url));
/** Vaswani query 1, so the demo has something sensible to ask of the bundled corpus. */
export const DEFAULT_QUERY =
  'measurement of dielectric constant of liquids by the use of microwave techniques';
/** Passages per encode call: progress is printed after each. */
const ENCODE_CHUNK = 1024;
/** Rejected records printed one by one; the rest are only counted (a corpus in the wrong format rejects every line). */
const REJECTS_SHOWN = 20;

export interface DemoFlags {
  corpus: string;
  /** One of CORPUS_FORMATS; default: from the file name. */
  format?: string;
  /** Embed this field's value as a title with the text, as `ingest --title-field` does (BEIR's title + " " + text). */
  titleField?: string;
  topK: number;
  /** Default: EMBEDLINE_MODEL_DIR, else the Hugging Face cache, else the hub. */
  modelDir?: string;
  /** Default: EMBEDLINE_MODEL_VARIANT. */
  variant?: string;
  limit?: number;
}

/** Where the hits (stdout) and progress (stderr) go: the console, or a test's buffers. */
export interface DemoOutput {
  readonly result: (line: string) => void;
  readonly progress: (line: string) => void;
}

export interface DemoHit {
  readonly id: string;
  readonly score: number;
  readonly text: string;
}

const CONSOLE: DemoOutput = { result: (line) => console.log(line), progress: (line) => console.error(line) };

/** `embedline demo`: embed a TREC corpus on this machine and answer a query by exact search. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Embed the bundled Vaswani corpus (or --corpus) and print the top hits for a query, by exact search.',
    )
    .argument('[query...]', `the query (default: Vaswani query 1, "${DEFAULT_QUERY}")`)
    .option(
      '--corpus <path>',
      'a corpus in any format ingest reads: TSV (id<TAB>text), JSONL, Arrow, Parquet, TREC <DOC>',
      BUNDLED_CORPUS,
    )
    .option(
      '--format <format>',
      `the corpus format when its file name does not say: ${CORPUS_FORMATS.join(', ')}`,
    )
    .option(
      '--title-field <field>',
      'embed this field (JSONL key, Arrow/Parquet column) as a title with the text, as ingest --title-field does',
    )
    .option('--top-k <n>', 'hits to print', positiveIntFlag, 10)
    .option(
      '--model-dir <dir>',
      'a local sentence-transformers model folder (default: EMBEDLINE_MODEL_DIR, else the Hugging Face cache, else the hub)',
    )
    .option(
      '--variant <name>',
      'ONNX variant: fp32 (onnx/model.onnx) or the suffix of onnx/model_<name>.onnx (default: EMBEDLINE_MODEL_VARIANT, else fp32)',
    )
    .option('--limit <n>', 'embed only the first n documents', positiveIntFlag)
    .action(async (words: string[] | undefined, flags: DemoFlags) => {
      // The environment is read when the command runs, so a bad variable is reported like any other error.
      await runDemo(words?.join(' ') || DEFAULT_QUERY, flags, loadEnv());
    });
}

/**
 * The command's work, callable in-process: reads the corpus (bad records reported and counted, the
 * rest kept), loads the encoder the environment and flags name, embeds every document, and prints the
 * exact top k for the query. Returns the hits it printed.
 */
export async function runDemo(
  query: string,
  flags: DemoFlags,
  env: EmbedlineEnv = loadEnv(),
  output: DemoOutput = CONSOLE,
): Promise<DemoHit[]> {
  const records = await readCorpus(flags.corpus, flags, output);
  let referenceModel = false;
  const encoder = await openEncoder(env, {
    log: createLogger('demo', env.LOG_LEVEL),
    overrides: { modelDir: flags.modelDir, variant: flags.variant },
    onReferenceModel: (warning) => {
      referenceModel = true;
      printReferenceModelWarning(warning);
    },
  });
  try {
    const corpus = await embedAll(encoder, records, flags.titleField, output);
    const queryVector = (await encoder.encode([query])).vectors;
    const [ranked] = semanticSearch(createMatrix(queryVector, 1, corpus.dim), corpus, { topK: flags.topK });
    const hits = ranked!.map((hit) => {
      const record = records[hit.corpusId]!;
      return { id: record.id, score: hit.score, text: record.text };
    });
    output.result(`\nquery: ${query}\n`);
    hits.forEach((hit, rank) =>
      output.result(
        `${String(rank + 1).padStart(3)}. ${hit.score.toFixed(4)}  [${hit.id}] ${snippet(hit.text)}`,
      ),
    );
    if (referenceModel)
      printReferenceModelWarning('(reminder) these hits come from the random-weight reference model.');
    return hits;
  } finally {
    await encoder.close();
  }
}

/**
 * The corpus's documents (the first `limit`), read as the producer reads it (format from the name or
 * `format`); the first bad records are reported with their line, and all of them counted.
 */
async function readCorpus(
  path: string,
  { format, titleField, limit }: Pick<DemoFlags, 'format' | 'titleField' | 'limit'>,
  output: DemoOutput,
): Promise<CorpusRecord[]> {
  const corpus = await openCorpus(path, { format, titleField });
  const records: CorpusRecord[] = [];
  let rejected = 0;
  for await (const result of corpus.read()) {
    if (result.ok) records.push(result.record);
    else {
      rejected += 1;
      if (rejected <= REJECTS_SHOWN)
        output.progress(`${path}:${result.rejected.line}: skipped: ${result.rejected.reason}`);
      if (rejected === REJECTS_SHOWN + 1) output.progress(`${path}: more records skipped (counted below)`);
    }
    if (limit !== undefined && records.length >= limit) break;
  }
  output.progress(`read ${records.length} documents from ${path} (${corpus.format}, ${rejected} rejected)`);
  if (records.length === 0) throw new Error(`${path}: no document to embed`);
  return records;
}

async function embedAll(
  encoder: Encoder,
  records: readonly CorpusRecord[],
  titleField: string | undefined,
  output: DemoOutput,
): Promise<Matrix> {
  const { dimension } = encoder.describe();
  const vectors = new Float32Array(records.length * dimension);
  const started = performance.now();
  for (let start = 0; start < records.length; start += ENCODE_CHUNK) {
    const chunk = records.slice(start, start + ENCODE_CHUNK).map((r) => textToEmbed(r, titleField));
    vectors.set((await encoder.encode(chunk)).vectors, start * dimension);
    const done = start + chunk.length;
    const seconds = (performance.now() - started) / 1000;
    output.progress(
      `embedded ${done}/${records.length} passages (${(done / seconds).toFixed(0)} passages/s)`,
    );
  }
  return createMatrix(vectors, records.length, dimension);
}

function snippet(text: string, width = 100): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
