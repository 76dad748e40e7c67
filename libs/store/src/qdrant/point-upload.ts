// upsert()'s writes: points go in batches with a few requests in flight, and each request is answered
// only once Qdrant has applied it, so a resolved upsert means durable and searchable.
import type { Schemas } from '@qdrant/js-client-rest';
import { dimensionError } from './collection-dimension.ts';
import { forEachBounded } from './for-each-bounded.ts';
import type { QdrantConnection } from './qdrant-connection.ts';
import { RetryableCondition } from './retry.ts';
import type { ResolvedStoreOptions } from './store-options.ts';

type PointStruct = Schemas['PointStruct'];

export type UploadSettings = Pick<ResolvedStoreOptions, 'batchSize' | 'concurrency' | 'ordering'>;

export async function uploadPoints(
  connection: QdrantConnection,
  name: string,
  points: PointStruct[],
  dimension: number,
  settings: UploadSettings,
): Promise<void> {
  await forEachBounded(chunksOf(points, settings.batchSize), settings.concurrency, async (chunk) => {
    const operation = `upsert of ${chunk.length} points into "${name}"`;
    try {
      await connection.call(operation, name, async (c, q) => {
        // wait: true — Qdrant answers once the points are applied (WAL + segments), so a resolved upsert
        // means durable and searchable, and the worker may ack its shard.
        const result = await c.upsert(q, { wait: true, ordering: settings.ordering, points: chunk });
        if (result.status !== 'completed')
          throw new RetryableCondition(`upsert answered "${result.status}", not "completed"`);
      });
    } catch (error) {
      throw await dimensionError(connection, error, name, dimension, "the batch's vectors have");
    }
  });
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
