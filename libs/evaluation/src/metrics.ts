import { mrrAtK, ndcgAtK, recallAtK, type MetricResult, type Qrels, type Run } from '@embedline/scoring';
import { EvaluationInputError } from './errors/evaluation-input-error.ts';

/**
 * The metrics `embedline eval` reports, as MS MARCO and TREC DL publish them. `binary` metrics only ask
 * whether a document is relevant, which the relevance level decides; nDCG uses the grades themselves.
 */
export const REPORTED_METRICS = [
  { name: 'MRR@10', k: 10, compute: mrrAtK, binary: true },
  { name: 'nDCG@10', k: 10, compute: ndcgAtK, binary: false },
  { name: 'Recall@100', k: 100, compute: recallAtK, binary: true },
  { name: 'Recall@1000', k: 1000, compute: recallAtK, binary: true },
] as const;

export type MetricName = (typeof REPORTED_METRICS)[number]['name'];

export interface ReportedMetric {
  readonly name: MetricName;
  readonly k: number;
  /**
   * Undefined when the run is shallower than k: Recall@1000 of a top-100 run would only repeat
   * Recall@100 under another name, and be read as a figure it is not.
   */
  readonly result: MetricResult | undefined;
}

/** Which queries were scored, and which were not and why: nothing is dropped silently. */
export interface QueryCoverage {
  /** Queries of the query set with a relevant judgement: scored. */
  readonly judged: readonly string[];
  /** Queries of the query set without a relevant judgement: searched and written to the run, not scored. */
  readonly unjudged: readonly string[];
  /** Judged queries the query set lacks: scored 0 in every mean (trec_eval -c), so listed loudly. */
  readonly missingFromQueries: readonly string[];
}

/**
 * The reported metrics of a run `depth` hits deep, against graded qrels (see libs/scoring for the
 * conventions). For MRR and Recall a document is relevant when its grade is at least `relevanceLevel`
 * (default 1, trec_eval's default; TREC DL passage qrels need 2, as `trec_eval -l 2`, since their
 * grade 1 means "related, does not answer"). nDCG always uses every grade as its gain.
 */
export function reportedMetrics(qrels: Qrels, run: Run, depth: number, relevanceLevel = 1): ReportedMetric[] {
  if (!Number.isSafeInteger(relevanceLevel) || relevanceLevel < 1) {
    throw new RangeError(`relevance level must be an integer >= 1, got ${relevanceLevel}`);
  }
  const binaryQrels = relevanceLevel === 1 ? qrels : atRelevanceLevel(qrels, relevanceLevel);
  return REPORTED_METRICS.map(({ name, k, compute, binary }) => ({
    name,
    k,
    result: k > depth ? undefined : compute(binary ? binaryQrels : qrels, run, k),
  }));
}

/** The qrels with every grade below `level` made 0: judged, not relevant. */
function atRelevanceLevel(qrels: Qrels, level: number): Qrels {
  const out = new Map<string, Map<string, number>>();
  let relevant = 0;
  for (const [qid, docs] of qrels) {
    const kept = new Map<string, number>();
    for (const [doc, rel] of docs) {
      kept.set(doc, rel >= level ? rel : 0);
      if (rel >= level) relevant++;
    }
    out.set(qid, kept);
  }
  if (relevant === 0) {
    throw new EvaluationInputError(
      'qrels',
      `no judgement reaches relevance level ${level}: nothing is relevant`,
    );
  }
  return out;
}

/** Sorts the query set against the qrels' judged queries. */
export function queryCoverage(queryIds: readonly string[], qrels: Qrels): QueryCoverage {
  const judgedInQrels = new Set(
    [...qrels].filter(([, docs]) => [...docs.values()].some((rel) => rel > 0)).map(([qid]) => qid),
  );
  const asked = new Set(queryIds);
  return {
    judged: queryIds.filter((qid) => judgedInQrels.has(qid)),
    unjudged: queryIds.filter((qid) => !judgedInQrels.has(qid)),
    missingFromQueries: [...judgedInQrels].filter((qid) => !asked.has(qid)).sort(),
  };
}
