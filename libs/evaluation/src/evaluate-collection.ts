import type { Query } from '@embedline/corpus';
import { createMatrix, type Matrix, type Qrels } from '@embedline/scoring';
import type { CollectionInfo, VectorStore } from '@embedline/store';
import { exactNeighbours, recallAgainstExact, type ExactVia, type Neighbour } from './ann-recall.ts';
import { encodeQueries, type QueryEncoder } from './encode-queries.ts';
import { EvaluationInputError } from './errors/evaluation-input-error.ts';
import { queryCoverage, reportedMetrics, type QueryCoverage, type ReportedMetric } from './metrics.ts';
import { checkRunPath } from './run-file.ts';
import { searchRun } from './search-run.ts';

export interface AnnRecallOptions {
  /** Recall at this depth (default 10; at most the run's depth). */
  readonly k?: number;
  /** Check only the first n queries (default all): exact search of a very large collection is slow. */
  readonly queries?: number;
  /** Where the exact neighbours come from (default `scan`). */
  readonly via?: ExactVia;
}

export interface EvaluateCollectionOptions {
  readonly store: VectorStore;
  readonly collection: string;
  /** The encoder that embedded the collection (same model, same variant). */
  readonly encoder: QueryEncoder;
  readonly queries: readonly Query[];
  readonly qrels: Qrels;
  /** Hits per query in the run. */
  readonly topK: number;
  /** Lowest grade that counts as relevant for MRR and Recall (default 1; TREC DL passage: 2). */
  readonly relevanceLevel?: number;
  /** Search by brute force instead of the ANN index: the metrics the index would give if it lost nothing. */
  readonly exact?: boolean;
  /**
   * Search only the queries with a relevant judgement (default: every query, as TREC runs hold them all).
   * BEIR's `queries.jsonl` holds every split's queries, and its `qrels/test.tsv` judges a few of them.
   */
  readonly judgedOnly?: boolean;
  /**
   * Leave a hit whose document id is its query's id out of the run, as BEIR's evaluation does by default
   * (`ignore_identical_ids`): ArguAna and Quora hold each query in the corpus under the query's own id.
   */
  readonly ignoreIdenticalIds?: boolean;
  /** Write the run here (TREC format); undefined: keep it in memory only. */
  readonly runPath?: string;
  /** The run's name in the run file (default `embedline`). */
  readonly tag?: string;
  /** Also measure the ANN index's recall against exact search. */
  readonly annRecall?: AnnRecallOptions;
  /** Names of the query and qrels inputs, for error messages (paths, usually); the run may not overwrite them. */
  readonly sources?: { readonly queries?: string; readonly qrels?: string };
  readonly onProgress?: (message: string) => void;
}

/** Everything evaluateCollection takes but the encoder: what checkEvaluationInputs checks. */
export type EvaluationInputs = Omit<EvaluateCollectionOptions, 'encoder'>;

/** Inputs that passed checkEvaluationInputs, with what the checks found, for evaluateChecked. */
export interface CheckedEvaluationInputs {
  readonly options: EvaluationInputs;
  readonly info: CollectionInfo;
  readonly coverage: QueryCoverage;
}

export interface AnnRecallReport {
  readonly k: number;
  readonly via: ExactVia;
  /** Recall of each checked query, by query id, in query order. */
  readonly perQuery: ReadonlyMap<string, number>;
  readonly mean: number;
}

export interface EvaluationReport {
  readonly collection: CollectionInfo;
  readonly topK: number;
  readonly exact: boolean;
  readonly relevanceLevel: number;
  /** Queries searched: all of the query set, or only the judged ones with `judgedOnly`. */
  readonly queries: number;
  readonly judgedOnly: boolean;
  /** Hits in the run, all queries together. */
  readonly hits: number;
  /** Copies of a document already in a query's hits, left out of the run (a collection not yet finalized). */
  readonly repeatedHits: number;
  /** Hits left out because their id was their query's; undefined unless `ignoreIdenticalIds`. */
  readonly identicalHits?: number;
  /**
   * Hits the qrels judge (any grade) for their query. None at all usually means the collection and the qrels
   * do not share document ids (another corpus, or ids rewritten on the way in), and every figure is 0.
   */
  readonly judgedHits: number;
  readonly coverage: QueryCoverage;
  readonly metrics: readonly ReportedMetric[];
  readonly annRecall?: AnnRecallReport;
}

/**
 * Evaluates a stored collection: embeds the queries with the collection's encoder, searches the store
 * with each (the ANN index, as users query it, unless `exact`), writes the TREC run, and scores it
 * against graded qrels: MRR@10, nDCG@10, Recall@100, Recall@1000. With `annRecall`, also the share of
 * the exact top k the store's search found. Input problems (no such collection, another model's
 * vectors, query and qrels sets that share no query) are EvaluationInputErrors.
 */
export async function evaluateCollection(options: EvaluateCollectionOptions): Promise<EvaluationReport> {
  return evaluateChecked(await checkEvaluationInputs(options), options.encoder);
}

/**
 * evaluateCollection on inputs that checkEvaluationInputs has passed: a caller that checks before it
 * loads the encoder (the CLI) runs the checks, which touch the store and the file system, once.
 */
export async function evaluateChecked(
  checked: CheckedEvaluationInputs,
  encoder: QueryEncoder,
): Promise<EvaluationReport> {
  const { options, info, coverage } = checked;
  const { store, collection, qrels } = options;
  const progress = options.onProgress ?? (() => {});
  const judgedOnly = options.judgedOnly === true;
  const judged = new Set(coverage.judged);
  const queries = judgedOnly ? options.queries.filter((q) => judged.has(q.id)) : options.queries;
  const queryIds = queries.map((q) => q.id);
  if (!judgedOnly && coverage.unjudged.length > coverage.judged.length) {
    progress(
      `${coverage.unjudged.length} of the ${options.queries.length} queries have no relevant judgement: they are searched and written to the run, but not scored (judgedOnly / --judged-only skips them)`,
    );
  }
  if (!info.finalized) {
    progress(`collection "${collection}" is not finalized: its ANN index may be missing or out of date`);
  }

  const otherModel = (dimension: number) =>
    new EvaluationInputError(
      `collection "${collection}"`,
      `holds ${info.dimension}-d vectors, but the encoder gives ${dimension}-d ones: it was embedded with another model`,
    );
  // An encoder that can say its dimension is checked before it encodes every query.
  const declared = encoder.describe?.().dimension;
  if (declared !== undefined && declared !== info.dimension) throw otherModel(declared);
  const vectors = await encodeQueries(
    encoder,
    queries.map((q) => q.text),
    (done, total) => progress(`encoded ${done}/${total} queries`),
  );
  if (vectors.dim !== info.dimension) throw otherModel(vectors.dim);

  const annK = Math.min(options.annRecall?.k ?? 10, options.topK);
  const searched = await searchRun({
    store,
    collection,
    queryIds,
    vectors,
    topK: options.topK,
    exact: options.exact,
    ignoreIdenticalIds: options.ignoreIdenticalIds,
    runPath: options.runPath,
    tag: options.tag ?? 'embedline',
    keepTop: options.annRecall === undefined ? undefined : annK,
    onProgress: everyThousand((done, total) => progress(`searched ${done}/${total} queries`)),
  });
  const report: EvaluationReport = {
    collection: info,
    topK: options.topK,
    exact: options.exact === true,
    relevanceLevel: options.relevanceLevel ?? 1,
    queries: queries.length,
    judgedOnly,
    hits: searched.hits,
    repeatedHits: searched.repeatedHits,
    identicalHits: options.ignoreIdenticalIds === true ? searched.identicalHits : undefined,
    judgedHits: countJudgedHits(searched.run, qrels),
    coverage,
    metrics: reportedMetrics(qrels, searched.run, options.topK, options.relevanceLevel),
  };
  if (options.annRecall === undefined) return report;
  const annRecall = await measureAnnRecall(options, options.annRecall, queryIds, vectors, searched.top, annK);
  return { ...report, annRecall };
}

/**
 * Every check that needs no encoder, as evaluateCollection makes them before it encodes anything: query
 * and qrels sets that share a judged query, a relevance level that leaves something relevant, a run tag
 * a run file can hold, a run path that can be written and is none of the inputs, a collection that
 * exists and is not empty. Callers that load the encoder themselves (the CLI) call it first, so that a
 * typo costs no model load, then pass its result to evaluateChecked. Problems are EvaluationInputErrors.
 */
export async function checkEvaluationInputs(options: EvaluationInputs): Promise<CheckedEvaluationInputs> {
  const coverage = queryCoverage(
    options.queries.map((q) => q.id),
    options.qrels,
  );
  checkJudgements(options, coverage);
  const tag = options.tag ?? 'embedline';
  if (tag === '' || /\s/.test(tag)) {
    throw new EvaluationInputError(
      `run tag ${JSON.stringify(tag)}`,
      "is empty or contains whitespace: it is the run file's last column",
    );
  }
  if (options.runPath !== undefined) {
    const inputs = [
      { what: 'queries', path: options.sources?.queries },
      { what: 'qrels', path: options.sources?.qrels },
    ].filter((input): input is { what: string; path: string } => input.path !== undefined);
    await checkRunPath(options.runPath, inputs);
  }
  return { options, info: await describeCollection(options.store, options.collection), coverage };
}

/** Input errors before anything is encoded: query and qrels sets that share no query, or nothing relevant. */
function checkJudgements(options: EvaluationInputs, coverage: QueryCoverage): void {
  const { queries, qrels } = options;
  if (coverage.judged.length === 0) {
    throw new EvaluationInputError(
      `${options.sources?.queries ?? 'queries'} and ${options.sources?.qrels ?? 'qrels'}`,
      `none of the ${queries.length} queries has a relevant judgement in the qrels: do these files belong together?`,
    );
  }
  const level = options.relevanceLevel ?? 1;
  if (![...qrels.values()].some((docs) => [...docs.values()].some((rel) => rel >= level))) {
    throw new EvaluationInputError(
      options.sources?.qrels ?? 'qrels',
      `no judgement reaches relevance level ${level}: nothing would count as relevant`,
    );
  }
}

/**
 * The share of each query's exact top k (libs/scoring over the stored vectors, or the store's exact
 * search) that the evaluated search found, for the first `queries` queries, and its mean.
 */
async function measureAnnRecall(
  { store, collection, onProgress }: EvaluationInputs,
  settings: NonNullable<EvaluateCollectionOptions['annRecall']>,
  queryIds: readonly string[],
  vectors: Matrix,
  found: ReadonlyMap<string, readonly Neighbour[]>,
  k: number,
): Promise<AnnRecallReport> {
  const via = settings.via ?? 'scan';
  const checked = Math.min(settings.queries ?? queryIds.length, queryIds.length);
  onProgress?.(
    `exact search of ${checked} queries (${via === 'scan' ? 'libs/scoring over the stored vectors' : 'the store, exact: true'})`,
  );
  const exact = await exactNeighbours(store, collection, firstRows(vectors, checked), k, via);
  const perQuery = new Map<string, number>();
  exact.forEach((neighbours, q) => {
    const recall = recallAgainstExact(found.get(queryIds[q]!) ?? [], neighbours, k);
    if (recall !== undefined) perQuery.set(queryIds[q]!, recall);
  });
  let sum = 0;
  for (const recall of perQuery.values()) sum += recall;
  return { k, via, perQuery, mean: perQuery.size === 0 ? Number.NaN : sum / perQuery.size };
}

async function describeCollection(store: VectorStore, collection: string): Promise<CollectionInfo> {
  const info = await store.describe(collection);
  if (info === undefined) {
    const names = await store.listCollections();
    const where = store.location;
    const there = names.length === 0 ? ' no collections' : `: ${names.join(', ')}`;
    throw new EvaluationInputError(
      `collection "${collection}"`,
      `not found in ${where}, which has${there}; ingest it first`,
    );
  }
  if (info.count === 0)
    throw new EvaluationInputError(`collection "${collection}"`, 'is empty; ingest it first');
  return info;
}

/** Hits with a judgement (of any grade) for their query. */
function countJudgedHits(run: ReadonlyMap<string, ReadonlyMap<string, number>>, qrels: Qrels): number {
  let judged = 0;
  for (const [qid, docs] of run) {
    const judgements = qrels.get(qid);
    if (judgements === undefined) continue;
    for (const doc of docs.keys()) if (judgements.has(doc)) judged++;
  }
  return judged;
}

function firstRows(matrix: Matrix, rows: number): Matrix {
  return createMatrix(matrix.data.subarray(0, rows * matrix.dim), rows, matrix.dim);
}

/** Passes on progress at every thousandth item and at the end, not at every step. */
function everyThousand(report: (done: number, total: number) => void): (done: number, total: number) => void {
  let reported = 0;
  return (done, total) => {
    if (done !== total && Math.floor(done / 1000) === Math.floor(reported / 1000)) return;
    reported = done;
    report(done, total);
  };
}
