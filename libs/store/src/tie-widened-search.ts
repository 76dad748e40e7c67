// The top k of a search whose backend orders equal scores arbitrarily (LanceDB, Qdrant): the query is
// widened past topK until the group of hits tied with the k-th one is complete, so that ties at the
// cut are settled by point id in every store alike.
//
// Policy, one for both adapters:
// - the first query asks for `topK + TIE_SLACK` hits: in the common case (no tie at the cut, or a few
//   tied rows) one query settles it;
// - while the last hit fetched still ties with the k-th, the limit doubles, so a tie group of n rows
//   costs O(log n) queries and less than twice the final limit in rows;
// - the limit never exceeds `tieWideningCap(topK)` = max(4 x topK, topK + 4096). A collection where
//   thousands of rows share one score (zero vectors, duplicated passages) must not make a single search
//   re-read the whole table, and ever larger queries would do exactly that. 4,096 extra rows (ids and
//   scores, or a few MiB with payloads) cover any realistic group of duplicates at a bounded cost;
//   4 x topK keeps the window in proportion for large topK. When the cap is reached the best topK of what was fetched are returned:
//   their scores are right and they are ordered among themselves, but which members of a tie group
//   larger than the cap make the cut is the backend's choice, not necessarily the lowest ids.

/** Hits fetched beyond topK by the first query, so that a small tie at the cut needs no second one. */
export const TIE_SLACK = 8;

/** The largest limit a search of topK asks for (see the policy above). */
export function tieWideningCap(topK: number): number {
  return Math.max(topK * 4, topK + 4096);
}

/**
 * The first `topK` hits, with the tie group at the cut complete (or the cap reached). `fetch(limit)`
 * returns up to `limit` hits, best first, equal scores by point id (`comparePointIds`); `score` reads a
 * hit's score. topK 0 fetches nothing.
 */
export async function tieWidenedSearch<Hit>(
  topK: number,
  fetch: (limit: number) => Promise<readonly Hit[]>,
  score: (hit: Hit) => number,
): Promise<Hit[]> {
  if (!Number.isInteger(topK) || topK < 0)
    throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  if (topK === 0) return [];
  const cap = tieWideningCap(topK);
  for (let limit = topK + TIE_SLACK; ; limit = Math.min(limit * 2, cap)) {
    const hits = await fetch(limit);
    if (limit >= cap || tieGroupComplete(hits, topK, limit, score)) return hits.slice(0, topK);
  }
}

/** Whether no hit beyond the fetched ones can tie with the k-th: all were fetched, or the last scores lower. */
function tieGroupComplete<Hit>(
  hits: readonly Hit[],
  topK: number,
  limit: number,
  score: (hit: Hit) => number,
): boolean {
  const cut = hits[topK - 1];
  const last = hits[hits.length - 1];
  return hits.length < limit || cut === undefined || last === undefined || score(last) < score(cut);
}
