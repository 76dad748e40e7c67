/**
 * Recall@k of one query: relevant documents (relevance > 0) among the first `k` of `ranking`, over all
 * relevant documents of the query (trec_eval `recall.k`). 0 when nothing is relevant.
 */
export function recallAt(
  ranking: readonly string[],
  judgements: ReadonlyMap<string, number>,
  k: number,
): number {
  let relevant = 0;
  for (const rel of judgements.values()) if (rel > 0) relevant++;
  if (relevant === 0) return 0;
  let found = 0;
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) if ((judgements.get(ranking[i]!) ?? 0) > 0) found++;
  return found / relevant;
}
