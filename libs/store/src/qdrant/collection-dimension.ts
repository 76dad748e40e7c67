// A collection's vector dimension: read off its config, and Qdrant's "Vector dimension error" turned into
// the DimensionMismatchError every store throws, so callers need not parse Qdrant's messages.
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import type { CollectionDetails, QdrantConnection } from './qdrant-connection.ts';
import { QdrantRequestError } from './qdrant-errors.ts';

/**
 * Distances whose scores are Embedline's, best first: the dot product of unit vectors (Cosine normalizes
 * them, giving the same scores). Euclid and Manhattan scores are distances, smaller first: taken as
 * similarities, every ranking (and its order among ties) would be upside down.
 */
const SIMILARITY_DISTANCES: readonly string[] = ['Dot', 'Cosine'];

/**
 * The size of the collection's one unnamed vector; a QdrantRequestError for named vectors, or for a
 * distance whose scores are not similarities (a collection someone else created with Euclid, say).
 */
export function vectorSize(details: CollectionDetails, name: string): number {
  const vectors = details.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
  if (vectors !== undefined && typeof vectors.size === 'number') {
    const distance = String(vectors.distance);
    if (!SIMILARITY_DISTANCES.includes(distance)) {
      throw new QdrantRequestError(
        `read collection "${name}"`,
        undefined,
        `it compares vectors by ${distance} distance, whose scores are smaller for nearer points; Embedline` +
          ' ranks by dot product of unit vectors, larger first: use a collection created with "distance": "Dot"',
      );
    }
    return vectors.size;
  }
  throw new QdrantRequestError(`read collection "${name}"`, undefined, withoutUnnamedVector(vectors));
}

/** What a collection without an unnamed dense vector has instead (another tool's, say), and what to use. */
function withoutUnnamedVector(vectors: object | undefined): string {
  const named = Object.entries(vectors ?? {}).map(([vectorName, config]) => {
    const { size, distance } = (config ?? {}) as { size?: unknown; distance?: unknown };
    return `"${vectorName}": ${String(size)} ${String(distance)}`;
  });
  const has =
    named.length === 0
      ? 'no dense vector (a payload-only collection, "vectors": {})'
      : `named vectors only (${named.join(', ')})`;
  return (
    `it has ${has}; Embedline writes and searches one unnamed vector: use a collection created with` +
    ' "vectors": { "size": <dimension>, "distance": "Dot" }'
  );
}

/**
 * A 400 "Vector dimension error" becomes DimensionMismatchError; anything else passes through. The stored
 * dimension comes from the message, else `expected`, else (one more request) the collection's info.
 */
export async function dimensionError(
  connection: QdrantConnection,
  error: unknown,
  name: string,
  expected: number | undefined,
  what: string,
  actual?: number,
): Promise<unknown> {
  if (!(error instanceof QdrantRequestError) || error.status !== 400 || !/dimension/i.test(error.message))
    return error;
  const match = /expected dim: (\d+), got (\d+)/.exec(error.message);
  const stored =
    match !== null
      ? Number(match[1])
      : (expected ?? vectorSize(await connection.requireDetails(name, `get collection "${name}"`), name));
  return new DimensionMismatchError(
    name,
    stored,
    actual ?? (match !== null ? Number(match[2]) : Number.NaN),
    what,
    { cause: error },
  );
}
