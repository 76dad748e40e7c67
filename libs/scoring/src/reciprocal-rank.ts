/**
 * 1 / rank of the first relevant document (relevance > 0) among the first `k` of `ranking`, 0 if none:
 * one query's term of MRR@k (trec_eval `recip_rank_cut`, ir_measures `RR@k`).
 */
export function reciprocalRankAt(
  ranking: readonly string[],
  judgements: ReadonlyMap<string, number>,
  k: number,
): number {
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) {
    if ((judgements.get(ranking[i]!) ?? 0) > 0) return 1 / (i + 1);
  }
  return 0;
}
