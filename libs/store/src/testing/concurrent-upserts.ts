import { toRecordBatch } from '../embedded-batch.ts';
import type { VectorStore } from '../vector-store.ts';
import { vectorForId } from '@embedline/testing';

/**
 * The data of the cross-process write test: `SHARDS` shards of `SHARD_SIZE` points whose vectors are
 * a function of the id (a retried shard re-embeds to the same vectors). Each of `workers` processes
 * writes the shards it owns (disjoint) and the shards of its neighbour (overlapping, at the same time
 * as the owner), then its first shard once more (a retry).
 */
export const CONCURRENT_DIMENSION = 16;
export const SHARDS = 24;
export const SHARD_SIZE = 100;

/** Point `n`'s corpus id: numeric mostly, a string id every fourth point. */
export function concurrentId(n: number): string {
  return n % 4 === 3 ? `passage-${n}` : String(n);
}

export function allConcurrentIds(): string[] {
  return Array.from({ length: SHARDS * SHARD_SIZE }, (_, n) => concurrentId(n));
}

/** The shards worker `worker` of `workers` writes, in order. */
export function workerShards(worker: number, workers: number): number[] {
  const own: number[] = [];
  const neighbours: number[] = [];
  for (let shard = 0; shard < SHARDS; shard++) {
    if (shard % workers === worker) own.push(shard);
    if (shard % workers === (worker + 1) % workers) neighbours.push(shard);
  }
  // Interleave own and neighbour shards so that overlapping writes really race.
  const order = own.flatMap((shard, i) => [shard, ...(neighbours[i] === undefined ? [] : [neighbours[i]!])]);
  return [...order, ...neighbours.slice(own.length), own[0] ?? 0];
}

export async function writeShard(store: VectorStore, collection: string, shard: number): Promise<void> {
  const ids = Array.from({ length: SHARD_SIZE }, (_, i) => concurrentId(shard * SHARD_SIZE + i));
  const vectors = new Float32Array(ids.length * CONCURRENT_DIMENSION);
  ids.forEach((id, i) => vectors.set(vectorForId(id, CONCURRENT_DIMENSION), i * CONCURRENT_DIMENSION));
  await store.upsert(
    collection,
    toRecordBatch({
      ids,
      vectors,
      dimension: CONCURRENT_DIMENSION,
      texts: ids.map((id) => `passage ${id}`),
      payloads: ids.map(() => ({ shard })),
    }),
  );
}
