// Whether finalize has run since the last write: recorded in collection metadata on Qdrant >= 1.16, and
// read off the indexing settings on older servers, so describe() can tell a half-indexed collection.
import type { CollectionDetails, QdrantConnection } from './qdrant-connection.ts';

/** Collection metadata key (Qdrant >= 1.16) recording whether finalize has run since the last write. */
export const FINALIZED_METADATA_KEY = 'embedline_finalized';

/** Records the flag, where the server supports metadata and it does not hold `finalized` already. */
export async function recordFinalized(
  connection: QdrantConnection,
  name: string,
  details: CollectionDetails,
  finalized: boolean,
): Promise<void> {
  if (
    (await connection.serverFeatures()).metadata &&
    details.config.metadata?.[FINALIZED_METADATA_KEY] !== finalized
  )
    await setFinalized(connection, name, finalized);
}

/** The recorded flag; without metadata (Qdrant < 1.16), an HNSW graph with indexing on counts as finalized. */
export async function readFinalized(
  connection: QdrantConnection,
  details: CollectionDetails,
): Promise<boolean> {
  const recorded = (await connection.serverFeatures()).metadata
    ? details.config.metadata?.[FINALIZED_METADATA_KEY]
    : undefined;
  const derived =
    details.config.hnsw_config.m > 0 && (details.config.optimizer_config.indexing_threshold ?? 1) > 0;
  return typeof recorded === 'boolean' ? recorded : derived;
}

function setFinalized(connection: QdrantConnection, name: string, finalized: boolean): Promise<unknown> {
  return connection.call(
    `mark "${name}" ${finalized ? 'finalized' : 'written since finalize'}`,
    name,
    (c, q) =>
      c.updateCollection(q, {
        metadata: { [FINALIZED_METADATA_KEY]: finalized },
        timeout: connection.adminTimeoutS,
      }),
    true,
  );
}
