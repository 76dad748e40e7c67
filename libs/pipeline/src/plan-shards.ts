import { stat } from 'node:fs/promises';
import type { Corpus, RejectedRecord } from '@embedline/corpus';
import { hasTitle, openCorpus } from '@embedline/corpus';
import type { Passage, ShardSource } from '@embedline/queue';

/** One shard of a corpus, ready to become a job. */
export interface PlannedShard {
  readonly index: number;
  readonly records: number;
  /** With a title field: of `records`, those with no title (missing, null or blank), embedded as their text alone. */
  readonly untitled: number;
  readonly source: ShardSource;
  /** How far into the corpus (bytes, or decompressed bytes) reading had got: for progress and ETA. */
  readonly position: number;
}

export interface PlanOptions {
  readonly shardSize: number;
  /** Carry the passages in the job instead of a byte range (workers cannot read the corpus). */
  readonly inline: boolean;
  readonly format?: string;
  /** Read with this title field (openCorpus): records whose title is not a string are rejected. */
  readonly titleField?: string;
  /**
   * What range jobs name as the corpus (default: `path`): an http(s) URL serving the same file, when
   * workers fetch it instead of opening a shared path.
   */
  readonly uri?: string;
  /**
   * The corpus, when the caller has opened it already (with these format and title options, duplicates
   * rejected): opening an Arrow or Parquet file reads and checks its schema, once is enough.
   */
  readonly corpus?: Corpus;
  readonly onReject?: (rejected: RejectedRecord) => void | Promise<void>;
}

/**
 * Streams a corpus once, in constant memory, and cuts it into shards of `shardSize` accepted records.
 * A range shard spans from its first record's byte offset to the next shard's first record (or the
 * end of the file), so consecutive shards partition the file exactly and a worker re-reading a range
 * meets the same records. Records the reader rejects for their own content are rejected again by
 * the worker's reader; duplicates (a cross-record verdict the worker cannot repeat) are listed in
 * the shard as byte offsets to skip.
 */
export async function* planShards(path: string, options: PlanOptions): AsyncGenerator<PlannedShard> {
  const { titleField } = options;
  const corpus =
    options.corpus ?? (await openCorpus(path, { format: options.format, dedupe: true, titleField }));
  const byRange = !options.inline && corpus.seekable;
  let index = 0;
  let passages: Passage[] = [];
  let count = 0;
  let untitled = 0;
  let start = -1;
  let firstLine = 0;
  let skip: number[] = [];
  let position = 0;
  const cut = (end: number): PlannedShard => {
    const source: ShardSource = byRange
      ? {
          kind: 'range',
          uri: options.uri ?? path,
          format: corpus.format,
          start,
          end,
          // The worker's reader numbers lines from here, so the rejects it meets name their true line.
          ...(firstLine > 0 ? { firstLine } : {}),
          ...(skip.length > 0 ? { skipOffsets: skip } : {}),
        }
      : { kind: 'inline', passages };
    const shard = { index: index++, records: count, untitled, source, position };
    passages = [];
    count = 0;
    untitled = 0;
    skip = [];
    start = -1;
    firstLine = 0;
    return shard;
  };
  for await (const result of corpus.read()) {
    if (!result.ok) {
      await options.onReject?.(result.rejected);
      if (byRange && result.rejected.kind === 'duplicate-id' && start >= 0)
        skip.push(result.rejected.byteOffset);
      continue;
    }
    const { record } = result;
    position = Math.max(position, record.byteOffset);
    if (count === options.shardSize) yield cut(record.byteOffset);
    if (start < 0) {
      start = record.byteOffset;
      firstLine = record.line;
    }
    count += 1;
    if (titleField !== undefined && !hasTitle(record.payload?.[titleField])) untitled += 1;
    if (!byRange) passages.push({ id: record.id, text: record.text, payload: record.payload ?? null });
  }
  if (count > 0) yield cut(byRange ? (await stat(path)).size : 0);
}
