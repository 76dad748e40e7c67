// search(): top-k by score with one order among equal scores for every store. Qdrant orders ties
// arbitrarily, so the query widens past the cut until the tie group there is complete.
import type { Schemas } from '@qdrant/js-client-rest';
import { comparePointIds } from '../point-id.ts';
import type { SearchHit, SearchOptions } from '../vector-store.ts';
import { dimensionError } from './collection-dimension.ts';
import { CORPUS_ID_KEY } from './payload-codec.ts';
import { toHit } from './point-mapping.ts';
import type { QdrantConnection } from './qdrant-connection.ts';

type ScoredPoint = Schemas['ScoredPoint'];

/** Extra hits fetched beyond topK so that a tie at the cut can be ordered by point id. */
const TIE_SLACK = 8;

interface Query {
  readonly name: string;
  readonly query: Float32Array;
  readonly vector: number[];
  readonly withPayload: boolean;
  readonly exact: boolean;
}

export async function search(
  connection: QdrantConnection,
  name: string,
  query: Float32Array,
  options: SearchOptions,
): Promise<SearchHit[]> {
  const { topK } = options;
  if (!Number.isInteger(topK) || topK < 0)
    throw new RangeError(`search topK must be a non-negative integer, got ${topK}`);
  if (topK === 0) {
    // Still fails for an unknown collection, as a real search would.
    await connection.requireDetails(name, `search in "${name}"`);
    return [];
  }
  const request: Query = {
    name,
    query,
    vector: Array.from(query),
    withPayload: options.withPayload === true,
    exact: options.exact === true,
  };
  const maxLimit = Math.max(topK * 4, topK + 4096);
  for (let limit = topK + TIE_SLACK; ; limit = Math.min(limit * 2, maxLimit)) {
    const points = await queryOrdered(connection, request, limit);
    if (tieGroupComplete(points, topK, limit, maxLimit))
      return points.slice(0, topK).map((point) => toHit(point, request.withPayload));
  }
}

/** Up to `limit` points, by score, ties by point id (numbers by value before UUIDs), the order every store shares. */
async function queryOrdered(
  connection: QdrantConnection,
  request: Query,
  limit: number,
): Promise<ScoredPoint[]> {
  const { name, query, vector, withPayload, exact } = request;
  try {
    const result = await connection.call(`search in "${name}"`, name, (c, q) =>
      c.query(q, {
        query: vector,
        limit,
        with_payload: withPayload ? true : [CORPUS_ID_KEY],
        with_vector: false,
        params: { exact },
      }),
    );
    return [...result.points].sort((a, b) => b.score - a.score || comparePointIds(a.id, b.id));
  } catch (error) {
    throw await dimensionError(connection, error, name, undefined, 'the query has', query.length);
  }
}

/** Whether no point beyond the fetched ones can tie with the one at the cut (or we may fetch no more). */
function tieGroupComplete(points: ScoredPoint[], topK: number, limit: number, maxLimit: number): boolean {
  const last = points[points.length - 1];
  const cut = points[topK - 1];
  return (
    points.length < limit ||
    last === undefined ||
    cut === undefined ||
    last.score < cut.score ||
    limit >= maxLimit
  );
}
