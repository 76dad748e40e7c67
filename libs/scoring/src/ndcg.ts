/**
 * nDCG@k of one query, as trec_eval's `ndcg_cut.k` (and so pytrec_eval's and ir_measures' `nDCG@k`):
 * gain is the relevance grade itself (linear, not 2^rel - 1), negative and unjudged count 0; the
 * document at rank r (from 1) is discounted by log2(r + 1); the ideal DCG takes every judged relevant
 * document of the query, grades sorted descending, cut at the same k. 0 when nothing is relevant.
 */
export function ndcgAt(
  ranking: readonly string[],
  judgements: ReadonlyMap<string, number>,
  k: number,
): number {
  const ideal = dcg(idealGains(judgements), k);
  if (ideal === 0) return 0;
  const gains = ranking.map((doc) => judgements.get(doc) ?? 0);
  return dcg(gains, k) / ideal;
}

/** Sum over the first k gains of max(gain, 0) / log2(rank + 1). */
function dcg(gains: readonly number[], k: number): number {
  let sum = 0;
  const depth = Math.min(k, gains.length);
  for (let i = 0; i < depth; i++) {
    const gain = gains[i]!;
    if (gain > 0) sum += gain / Math.log2(i + 2);
  }
  return sum;
}

function idealGains(judgements: ReadonlyMap<string, number>): number[] {
  return [...judgements.values()].filter((rel) => rel > 0).sort((a, b) => b - a);
}
