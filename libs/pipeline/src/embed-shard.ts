import type { RecordBatch } from 'apache-arrow';
import type { RejectedRecord } from '@embedline/corpus';
import type { Encoder } from '@embedline/encoder';
import { shardKey, type IngestManifest, type Passage, type ShardJobData } from '@embedline/queue';
import { toRecordBatch, type ShardLedger, type VectorStore } from '@embedline/store';
import { exportShard } from './export-shard.ts';
import { loadShardPassages } from './shard-passages.ts';

export interface EmbedShardDeps {
  readonly encoder: Encoder;
  readonly store: VectorStore & ShardLedger;
  readonly manifest?: IngestManifest;
  /** Also write each shard's record batches under this folder, as an Arrow IPC file and a Parquet file. */
  readonly exportDir?: string;
  /** Fetch for shards whose corpus is an http(s) URL (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /** Passages per encode call and per Arrow record batch. */
  readonly batchPassages?: number;
}

export interface EmbedShardResult {
  readonly shardKey: string;
  readonly stored: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
  /** Records rejected inside the shard's range, with their true lines (the producer reported them too). */
  readonly rejects: readonly RejectedRecord[];
}

/**
 * Embeds one shard and writes it to the store. Completion is recorded (ledger, then manifest) only
 * after the store has confirmed every upsert, so a crash at any point leaves the shard either
 * recorded-and-complete or unrecorded, and a retry overwrites (deterministic point ids) instead of
 * duplicating. Encoding of the next batch overlaps the upsert of the current one.
 */
export async function embedShard(job: ShardJobData, deps: EmbedShardDeps): Promise<EmbedShardResult> {
  const rejects: RejectedRecord[] = [];
  const passages = await loadShardPassages(job, { fetch: deps.fetch, onReject: (rejected) => rejects.push(rejected) });
  const key = shardKey(job.fingerprint, job.shardIndex);
  const size = deps.batchPassages ?? 512;
  const batches: RecordBatch[] = [];
  let realTokens = 0;
  let paddedTokens = 0;
  let pendingUpsert: Promise<void> = Promise.resolve();
  for (let start = 0; start < passages.length; start += size) {
    const slice = passages.slice(start, start + size);
    const batch = await encodeBatch(deps.encoder, slice, (stats) => {
      realTokens += stats.realTokens;
      paddedTokens += stats.paddedTokens;
    });
    await pendingUpsert;
    pendingUpsert = deps.store.upsert(job.collection, batch);
    // Awaited before the next upsert or at the end; marked handled now, because a store that is down
    // fails it while the next batch is still encoding, and an unhandled rejection ends the process.
    pendingUpsert.catch(() => undefined);
    if (deps.exportDir !== undefined) batches.push(batch);
  }
  await pendingUpsert;
  if (deps.exportDir !== undefined) await exportShard(deps.exportDir, job.collection, key, batches);
  await deps.store.recordShard(job.collection, key, passages.length);
  await deps.manifest?.markShardDone(job.collection, key, passages.length);
  return { shardKey: key, stored: passages.length, realTokens, paddedTokens, rejects };
}

async function encodeBatch(
  encoder: Encoder,
  passages: readonly Passage[],
  onStats: (stats: { realTokens: number; paddedTokens: number }) => void,
): Promise<RecordBatch> {
  const embeddings = await encoder.encode(passages.map((p) => p.text));
  onStats(embeddings.stats);
  return toRecordBatch({
    ids: passages.map((p) => p.id),
    vectors: embeddings.vectors,
    dimension: embeddings.dimension,
    texts: passages.map((p) => p.text),
    payloads: passages.map((p) => p.payload ?? null),
  });
}
