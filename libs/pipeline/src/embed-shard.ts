import { textToEmbed, type RejectedRecord } from '@embedline/corpus';
import type { Encoder } from '@embedline/encoder';
import { shardKey, type IngestManifest, type ShardJobData } from '@embedline/queue';
import { toRecordBatch, type ShardLedger, type VectorStore } from '@embedline/store';
import { exportShard } from './export-shard.ts';
import { loadShardPassages } from './shard-passages.ts';

export interface EmbedShardDeps {
  readonly encoder: Encoder;
  readonly store: VectorStore & ShardLedger;
  /** Redis bookkeeping: completions, and which writer may append a shard (see claimFirstWrite). */
  readonly manifest?: Pick<IngestManifest, 'markShardDone' | 'claimFirstWrite'>;
  /** Also write each shard's record batches under this folder, as an Arrow IPC file and a Parquet file. */
  readonly exportDir?: string;
  /** Fetch for shards whose corpus is an http(s) URL (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /**
   * Passages per encode call; default the whole shard, so that the encoder sorts all of its texts by length
   * together (smaller calls pad more). The shard is written as one Arrow record batch either way.
   */
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
 * Embeds one shard and writes it to the store in one upsert (one commit in LanceDB: a shard's rows
 * land together or not at all, and the store keeps one fragment per shard instead of one per encode
 * call). Completion is recorded (ledger, then manifest) only after the store has confirmed the write,
 * so a crash at any point leaves the shard either recorded-and-complete or unrecorded, and a retry
 * overwrites (deterministic point ids) instead of duplicating. A worker holds several shards at once
 * (its concurrency), so one shard's write overlaps the next one's encoding.
 */
export async function embedShard(job: ShardJobData, deps: EmbedShardDeps): Promise<EmbedShardResult> {
  const rejects: RejectedRecord[] = [];
  const passages = await loadShardPassages(job, {
    fetch: deps.fetch,
    onReject: (rejected) => rejects.push(rejected),
  });
  const key = shardKey(job.fingerprint, job.shardIndex, job.titleField);
  // What is embedded: the text, or (the ingest's --title-field) BEIR's title + " " + text; what is stored
  // (text and payload, the title among it) is the passage as read either way.
  const embedded = passages.map((passage) => textToEmbed(passage, job.titleField));
  const size = deps.batchPassages ?? Math.max(1, passages.length);
  const pieces: { vectors: Float32Array; dimension: number }[] = [];
  let realTokens = 0;
  let paddedTokens = 0;
  for (let start = 0; start < passages.length; start += size) {
    const embeddings = await deps.encoder.encode(embedded.slice(start, start + size));
    realTokens += embeddings.stats.realTokens;
    paddedTokens += embeddings.stats.paddedTokens;
    pieces.push(embeddings);
  }
  if (passages.length > 0) {
    const batch = toRecordBatch({
      ids: passages.map((p) => p.id),
      ...joinVectors(pieces),
      texts: passages.map((p) => p.text),
      payloads: passages.map((p) => p.payload ?? null),
    });
    // A shard's first write into a collection that was empty when the ingest began appends (cheap at any
    // table size); every other write merges on id. See IngestManifest.claimFirstWrite.
    const firstWrite =
      job.appendFirstWrites === true &&
      ((await deps.manifest?.claimFirstWrite(job.collection, key)) ?? false);
    await deps.store.upsert(job.collection, batch, { firstWrite });
    if (deps.exportDir !== undefined) await exportShard(deps.exportDir, job.collection, key, [batch]);
  }
  await deps.store.recordShard(job.collection, key, passages.length);
  await deps.manifest?.markShardDone(job.collection, key, passages.length);
  return { shardKey: key, stored: passages.length, realTokens, paddedTokens, rejects };
}

/** The encode calls' vectors as one rows x dimension array (a copy only when there were several calls). */
function joinVectors(pieces: readonly { vectors: Float32Array; dimension: number }[]) {
  const dimension = pieces[0]!.dimension;
  if (pieces.length === 1) return { vectors: pieces[0]!.vectors, dimension };
  const vectors = new Float32Array(pieces.reduce((sum, piece) => sum + piece.vectors.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    vectors.set(piece.vectors, offset);
    offset += piece.vectors.length;
  }
  return { vectors, dimension };
}
