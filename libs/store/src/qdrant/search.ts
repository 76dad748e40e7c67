// search(): top-k by score with one order among equal scores for every store. Qdrant orders ties
// arbitrarily, so the query widens past the cut until the tie group there is complete (within the bound
// of tie-widened-search.ts).
import type { Schemas } from '@qdrant/js-client-rest';
import { comparePointIds } from '../point-id.ts';
import { tieWidenedSearch } from '../tie-widened-search.ts';
import type { SearchHit, SearchOptions } from '../vector-store.ts';
import { dimensionError } from './collection-dimension.ts';
import { CORPUS_ID_KEY } from './payload-codec.ts';
import { toHit } from './point-mapping.ts';
import type { QdrantConnection } from './qdrant-connection.ts';

type ScoredPoint = Schemas['ScoredPoint'];

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
  const points = await tieWidenedSearch(
    topK,
    (limit) => queryOrdered(connection, request, limit),
    (point) => point.score,
  );
  return points.map((point) => toHit(point, request.withPayload));
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
