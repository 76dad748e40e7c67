import { ndcgAt } from './ndcg.ts';
import type { Qrels } from './qrels.ts';
import { rankDocuments } from './ranking.ts';
import { recallAt } from './recall.ts';
import { reciprocalRankAt } from './reciprocal-rank.ts';
import type { Run } from './trec-run.ts';

/** One query's value of a metric, from its ranked document ids and its judgements. */
export type QueryMetric = (
  ranking: readonly string[],
  judgements: ReadonlyMap<string, number>,
  k: number,
) => number;

/**
 * A metric over a run. The evaluated queries are those of the qrels with at least one relevant
 * judgement (relevance > 0):
 * - an evaluated query the run has no hits for scores 0 and counts in the mean (trec_eval -c), so
 *   a system cannot raise its mean by answering nothing where it would score badly; plain trec_eval,
 *   pytrec_eval and ir_measures skip such queries instead, and report a higher mean in that case;
 * - a run query with no relevant judgement (absent from the qrels, or judged only <= 0) is not scored
 *   and not in the mean, as every metric here is undefined or meaningless without a relevant document.
 */
export interface MetricResult {
  /** Every evaluated query's value, by query id, in id order. */
  readonly perQuery: ReadonlyMap<string, number>;
  /** Mean of `perQuery`. */
  readonly mean: number;
  /** Evaluated queries without hits in the run (scored 0), in id order. */
  readonly missingFromRun: readonly string[];
  /** Run queries without a relevant judgement (not scored), in id order. */
  readonly unjudged: readonly string[];
}

/** MRR@k: mean reciprocal rank of the first relevant document within the top k. */
export function mrrAtK(qrels: Qrels, run: Run, k: number): MetricResult {
  return evaluateMetric(qrels, run, k, reciprocalRankAt);
}

/** nDCG@k with trec_eval `ndcg_cut` semantics (see `ndcgAt`). */
export function ndcgAtK(qrels: Qrels, run: Run, k: number): MetricResult {
  return evaluateMetric(qrels, run, k, ndcgAt);
}

/** Recall@k: relevant documents within the top k over all relevant documents. */
export function recallAtK(qrels: Qrels, run: Run, k: number): MetricResult {
  return evaluateMetric(qrels, run, k, recallAt);
}

/**
 * Any per-query metric over a run, with the query policy of `MetricResult`. Throws when no query has
 * a relevant judgement: there is nothing to average, and the usual cause is a wrong qrels file.
 */
export function evaluateMetric(qrels: Qrels, run: Run, k: number, metric: QueryMetric): MetricResult {
  if (!Number.isSafeInteger(k) || k < 1) throw new Error(`evaluate: k must be an integer >= 1, got ${k}`);
  const evaluated = [...qrels.keys()].filter((qid) => hasRelevant(qid, qrels.get(qid)!)).sort();
  if (evaluated.length === 0) throw new Error('evaluate: no query has a relevant judgement (relevance > 0)');
  const perQuery = new Map<string, number>();
  for (const qid of evaluated) {
    const hits = run.get(qid);
    const ranking = hits === undefined ? [] : rankDocuments(hits, qid);
    perQuery.set(qid, metric(ranking, qrels.get(qid)!, k));
  }
  let sum = 0;
  for (const value of perQuery.values()) sum += value;
  return {
    perQuery,
    mean: sum / perQuery.size,
    missingFromRun: evaluated.filter((qid) => (run.get(qid)?.size ?? 0) === 0),
    unjudged: [...run.keys()].filter((qid) => !perQuery.has(qid)).sort(),
  };
}

/** Whether the query has a relevant document; refuses grades that are not numbers. */
function hasRelevant(qid: string, judgements: ReadonlyMap<string, number>): boolean {
  let found = false;
  for (const [doc, rel] of judgements) {
    if (typeof rel !== 'number' || !Number.isFinite(rel)) {
      throw new Error(
        `qrels: query ${qid} document ${doc} has relevance ${String(rel)}, not a finite number`,
      );
    }
    if (rel > 0) found = true;
  }
  return found;
}
