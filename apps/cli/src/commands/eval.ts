import { Command, Option } from 'commander';
import { createLogger, loadEnv, positiveIntFlag, type EmbedlineEnv } from '@embedline/config';
import { readQueries, TOPIC_FIELDS, type TopicField } from '@embedline/corpus';
import { openEncoder, type Encoder } from '@embedline/encoder';
import {
  checkEvaluationInputs,
  evaluateChecked,
  formatPerQuery,
  formatReport,
  loadQrels,
  type EvaluationReport,
  type ExactVia,
} from '@embedline/evaluation';
import { LanceDbStore, openStore, type VectorStore } from '@embedline/store';
import { printReferenceModelWarning } from '../reference-model-warning.ts';

export interface EvalFlags {
  collection: string;
  queries: string;
  qrels: string;
  topK: number;
  relevanceLevel: number;
  run?: string;
  perQuery?: boolean;
  /** `true` for every query, or how many of the first queries to check. */
  annRecall?: true | number;
  exactVia: ExactVia;
  exact?: boolean;
  judgedOnly?: boolean;
  ignoreIdenticalIds?: boolean;
  queriesFormat?: string;
  topicField: TopicField;
  tag: string;
  /** Default: EMBEDLINE_MODEL_DIR. */
  modelDir?: string;
  /** Default: EMBEDLINE_MODEL_VARIANT. */
  variant?: string;
}

/** Where the command's results (stdout) and progress (stderr) go: the console, or a test's buffers. */
export interface EvalOutput {
  readonly result: (line: string) => void;
  readonly progress: (line: string) => void;
}

const CONSOLE: EvalOutput = { result: (line) => console.log(line), progress: (line) => console.error(line) };

/** `embedline eval`: retrieval metrics of a stored collection, and what its ANN index costs. */
export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'Run a query set through the encoder and the store, write a TREC run, and print MRR@10, nDCG@10, Recall@100 and Recall@1000 against graded qrels.',
    )
    .requiredOption('--collection <name>', 'the stored collection to evaluate (in EMBEDLINE_STORE)')
    .requiredOption(
      '--queries <file>',
      'queries: MS MARCO queries.tsv, JSONL {id,text}, BEIR queries.jsonl, or TREC topics (.trec)',
    )
    .requiredOption(
      '--qrels <file>',
      'relevance judgements: TREC qrels (qid iter docid rel) or BEIR qrels TSV (with its header)',
    )
    .option('--top-k <n>', 'hits per query in the run (Recall@1000 needs 1000)', positiveIntFlag, 100)
    .option(
      '--relevance-level <n>',
      'lowest grade that counts as relevant for MRR and Recall (TREC DL passage qrels: 2, as trec_eval -l 2)',
      positiveIntFlag,
      1,
    )
    .option('--run <file>', 'where to write the TREC run (default: <collection>.run in the current folder)')
    .option('--per-query', "also print every query's metrics, tab separated")
    .option(
      '--ann-recall [queries]',
      "also measure the ANN index's recall@10 against exact search (on the first n queries)",
      positiveIntFlag,
    )
    .addOption(
      new Option(
        '--exact-via <how>',
        "exact neighbours for --ann-recall: libs/scoring over the stored vectors, or the store's brute force",
      )
        .choices(['scan', 'store'])
        .default('scan'),
    )
    .option('--exact', 'search by brute force instead of the ANN index (the metrics of a lossless index)')
    .option(
      '--judged-only',
      "search only the queries with a relevant judgement in the qrels (BEIR: queries.jsonl holds every split's queries)",
    )
    .option(
      '--ignore-identical-ids',
      "leave out a hit whose id is its query's id, as BEIR evaluates (ArguAna and Quora hold each query in the corpus under its own id)",
    )
    .option(
      '--queries-format <format>',
      'tsv, tsv.gz, jsonl, jsonl.gz or trec, when the file name does not say',
    )
    .addOption(
      new Option('--topic-field <field>', 'the TREC topic field to use as query text')
        .choices(TOPIC_FIELDS)
        .default('title'),
    )
    .option('--tag <name>', 'the run name written in the run file', 'embedline')
    .option(
      '--model-dir <dir>',
      'sentence-transformers model folder: the one the collection was embedded with (default: EMBEDLINE_MODEL_DIR, else the Hugging Face cache)',
    )
    .option('--variant <name>', 'ONNX variant (default: EMBEDLINE_MODEL_VARIANT, else fp32)')
    .action(async (flags: EvalFlags) => {
      // The environment is read when the command runs, so a bad variable is reported like any other error.
      await runEval(flags, loadEnv());
    });
}

/**
 * The command's work, callable in-process: reads the inputs (each problem named with its file and
 * line before anything heavy starts), loads the encoder the collection was embedded with, evaluates,
 * and prints the report.
 */
export async function runEval(
  flags: EvalFlags,
  env: EmbedlineEnv = loadEnv(),
  output: EvalOutput = CONSOLE,
): Promise<EvaluationReport> {
  const queries = await readQueries(flags.queries, {
    format: flags.queriesFormat,
    topicField: flags.topicField,
  });
  const { qrels, summary } = await loadQrels(flags.qrels);
  output.progress(
    `read ${queries.length} queries from ${flags.queries}; ${summary.judgements} judgements (${summary.queriesWithRelevant} queries with a relevant one) from ${flags.qrels}`,
  );
  const runPath = flags.run ?? `${flags.collection}.run`;
  const store = await openStore(env);
  let encoder: Encoder | undefined;
  try {
    const inputs = {
      store,
      collection: flags.collection,
      queries,
      qrels,
      topK: flags.topK,
      relevanceLevel: flags.relevanceLevel,
      exact: flags.exact === true,
      judgedOnly: flags.judgedOnly === true,
      ignoreIdenticalIds: flags.ignoreIdenticalIds === true,
      runPath,
      tag: flags.tag,
      annRecall:
        flags.annRecall === undefined
          ? undefined
          : { via: flags.exactVia, queries: flags.annRecall === true ? undefined : flags.annRecall },
      sources: { queries: flags.queries, qrels: flags.qrels },
      onProgress: output.progress,
    };
    // The collection, the run path and the tag are checked before the model loads (or downloads).
    const checked = await checkEvaluationInputs(inputs);
    const log = createLogger('eval', env.LOG_LEVEL);
    let referenceModel = false;
    encoder = await openEncoder(env, {
      log,
      overrides: { modelDir: flags.modelDir, variant: flags.variant },
      onReferenceModel: (warning) => {
        referenceModel = true;
        printReferenceModelWarning(warning);
      },
    });
    const report = await evaluateChecked(checked, encoder);
    output.progress(`run written to ${runPath}`);
    for (const line of formatReport(report)) output.result(line);
    const index = await describeIndex(store, flags.collection);
    if (index !== undefined) output.result(index);
    if (flags.perQuery) {
      output.result('');
      const listed = flags.judgedOnly ? report.coverage.judged : queries.map((q) => q.id);
      for (const line of formatPerQuery(report, listed)) output.result(line);
    }
    if (referenceModel) {
      printReferenceModelWarning(
        '(reminder) these figures come from the random-weight reference model: they mean nothing.',
      );
    }
    return report;
  } finally {
    await encoder?.close();
    await store.close();
  }
}

/** The ANN index behind the figures, where the store can say (LanceDB). */
async function describeIndex(store: VectorStore, collection: string): Promise<string | undefined> {
  if (!(store instanceof LanceDbStore)) return undefined;
  const index = await store.vectorIndex(collection);
  if (index === undefined) return 'ANN index: none (the collection is searched by flat scan, i.e. exactly)';
  return `ANN index: IVF-PQ, ${index.partitions} partitions, ${index.subVectors} sub-vectors; ${index.indexedRows.toLocaleString('en-US')} rows indexed, ${index.unindexedRows.toLocaleString('en-US')} not`;
}
