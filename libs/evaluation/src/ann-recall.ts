import { createMatrix, ExactSearch, type Matrix } from '@embedline/scoring';
import type { VectorStore } from '@embedline/store';

/** How the exact neighbours are found: libs/scoring over the stored vectors, or the store's own brute force. */
export type ExactVia = 'scan' | 'store';

/** A neighbour: a stored point's id and its score against the query. */
export interface Neighbour {
  readonly id: string;
  readonly score: number;
}

/**
 * Exact neighbours fetched beyond k, so that points tied with the k-th score are all seen: the store and
 * the exact search may order equal scores differently (point id vs scan order), and a tie is no miss.
 */
const TIE_MARGIN = 16;
/**
 * Scores this close to the k-th count as tied with it: the store scores in float32, libs/scoring in
 * float64, and two points whose scores differ below float32 rounding may swap places at the cut.
 */
export const TIE_TOLERANCE = 1e-6;

/**
 * Each query's top `k + TIE_MARGIN` exact neighbours. `scan` streams every stored vector once through
 * libs/scoring's ExactSearch (independent of the store's search code; one pass whatever the query
 * count, but the scoring runs in JavaScript); `store` asks the store for brute-force search
 * (`exact: true`), one query at a time, which a server (Qdrant) or native code (LanceDB) runs faster
 * on very large collections.
 */
export async function exactNeighbours(
  store: VectorStore,
  collection: string,
  queries: Matrix,
  k: number,
  via: ExactVia,
): Promise<Neighbour[][]> {
  const depth = k + TIE_MARGIN;
  if (via === 'store') {
    const out: Neighbour[][] = [];
    for (let q = 0; q < queries.rows; q++) {
      const vector = queries.data.slice(q * queries.dim, (q + 1) * queries.dim);
      out.push(await store.search(collection, vector, { topK: depth, exact: true }));
    }
    return out;
  }
  const search = new ExactSearch(queries, { topK: depth, scoreFunction: 'dot' });
  const ids: string[] = [];
  for await (const rows of store.scan(collection)) {
    search.add(createMatrix(rows.vectors, rows.ids.length, rows.dimension), ids.length);
    for (const id of rows.ids) ids.push(id);
  }
  return search.results().map((hits) => hits.map((hit) => ({ id: ids[hit.corpusId]!, score: hit.score })));
}

/**
 * Recall@k of one query's ANN hits against its exact neighbours: the share of the true top k (all of
 * them, or the whole collection when it holds fewer than k points) that the ANN top k found. A point
 * tied with the exact k-th score (within TIE_TOLERANCE) counts as a true neighbour, so equal scores
 * ordered differently are not misses. Undefined when there are no exact neighbours (empty collection).
 */
export function recallAgainstExact(
  annHits: readonly Neighbour[],
  exact: readonly Neighbour[],
  k: number,
): number | undefined {
  const wanted = Math.min(k, exact.length);
  if (wanted === 0) return undefined;
  const kth = exact[wanted - 1]!.score;
  const truth = new Set(exact.filter((hit) => hit.score >= kth - TIE_TOLERANCE).map((hit) => hit.id));
  let found = 0;
  for (const hit of annHits.slice(0, k)) if (truth.has(hit.id)) found++;
  return Math.min(found, wanted) / wanted;
}
