// A collection's vector dimension: read off its config, and Qdrant's "Vector dimension error" turned into
// the DimensionMismatchError every store throws, so callers need not parse Qdrant's messages.
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import type { CollectionDetails, QdrantConnection } from './qdrant-connection.ts';
import { QdrantRequestError } from './qdrant-errors.ts';

/** The size of the collection's one unnamed vector; a QdrantRequestError for named vectors. */
export function vectorSize(details: CollectionDetails, name: string): number {
  const vectors = details.config.params.vectors;
  if (vectors !== undefined && typeof (vectors as { size?: unknown }).size === 'number')
    return (vectors as { size: number }).size;
  throw new QdrantRequestError(
    `read collection "${name}"`,
    undefined,
    'it has named vectors; Embedline collections have one unnamed vector',
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
