import { z } from 'zod';
import { collectionNameSchema } from './collection-name.ts';

export const passageSchema = z.strictObject({
  id: z.string().min(1),
  text: z.string(),
  payload: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type Passage = z.infer<typeof passageSchema>;

/** Where a worker finds a shard's passages: a byte range of a corpus it can read, or the passages themselves. */
export const shardSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('range'),
    /** A path every worker can read (shared volume) or an http(s) URL that answers Range requests. */
    uri: z.string().min(1),
    format: z.string().min(1),
    start: z.number().int().min(0),
    end: z.number().int().min(0),
    /**
     * 1-based line number of the line at `start` (the shard's first record), as the producer counted
     * it, so rejects the worker meets in the range name their true line. Optional: jobs queued before
     * it existed still run, their rejects then say line 0 (unknown).
     */
    firstLine: z.number().int().min(1).optional(),
    /** Byte offsets of records inside the range that the producer rejected as duplicates. */
    skipOffsets: z.array(z.number().int().min(0)).optional(),
  }),
  z.strictObject({ kind: z.literal('inline'), passages: z.array(passageSchema).min(1) }),
]);
export type ShardSource = z.infer<typeof shardSourceSchema>;

export const shardJobSchema = z.strictObject({
  kind: z.literal('shard'),
  collection: collectionNameSchema,
  fingerprint: z.string().min(16),
  shardIndex: z.number().int().min(0),
  /** Accepted records in the shard: the worker checks it read exactly this many. */
  records: z.number().int().min(1),
  source: shardSourceSchema,
  /** The collection was empty when the ingest began: the shard's first write may append (IngestManifest.claimFirstWrite). */
  appendFirstWrites: z.boolean().optional(),
  /**
   * Embed each passage's title with its text, BEIR's way (`embeddingText`): the title is the payload's value of
   * this field (a JSONL key, an Arrow/Parquet column); the worker reads a range with it too, so it rejects the
   * records the producer rejected for their title. Absent: the text alone, as every job before it existed.
   */
  titleField: z.string().min(1).optional(),
});
export type ShardJobData = z.infer<typeof shardJobSchema>;

/** The seal: a do-nothing job released only when the producer has enqueued every shard. */
export const sealJobSchema = z.strictObject({ kind: z.literal('seal'), collection: collectionNameSchema });
export type SealJobData = z.infer<typeof sealJobSchema>;

export const shardQueueJobSchema = z.discriminatedUnion('kind', [shardJobSchema, sealJobSchema]);
export type ShardQueueJobData = z.infer<typeof shardQueueJobSchema>;

export const finalizeJobSchema = z.strictObject({
  collection: collectionNameSchema,
  fingerprint: z.string().min(16),
  /** Records the producer accepted from the corpus; finalize checks the store holds exactly this many. */
  acceptedRecords: z.number().int().min(0),
  totalShards: z.number().int().min(0),
  /** The ingest's title field (shardJobSchema), so a re-run with another one is refused even once finalized. */
  titleField: z.string().min(1).optional(),
});
export type FinalizeJobData = z.infer<typeof finalizeJobSchema>;

export const deadLetterSchema = z.object({
  jobId: z.string(),
  collection: collectionNameSchema,
  shardIndex: z.number().int(),
  attempts: z.number().int(),
  error: z.string(),
  failedAt: z.string(),
});
export type DeadLetterData = z.infer<typeof deadLetterSchema>;
