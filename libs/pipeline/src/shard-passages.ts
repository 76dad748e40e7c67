import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCorpus, type ByteRange, type CorpusRecord, type RejectedRecord } from '@embedline/corpus';
import type { Passage, ShardJobData } from '@embedline/queue';
import { ShardMismatchError } from './errors/shard-mismatch-error.ts';
import { fetchByteRange, isRemoteCorpus } from './remote-range.ts';

export interface LoadShardOptions {
  readonly fetch?: typeof fetch;
  /**
   * Records the reader rejects inside the shard's range, named by their true line (the job carries
   * the line of its first record). The producer reported the same rejects to the rejects file.
   */
  readonly onReject?: (rejected: RejectedRecord) => void;
}

/** How many of the range's rejects a mismatch error quotes. */
const QUOTED_REJECTS = 5;

/**
 * The passages of one shard: carried in the job, or re-read from the corpus's byte range (a shared
 * path, or an http(s) URL fetched with one Range request). The count must match what the producer
 * accepted; anything else means the corpus changed under us.
 */
export async function loadShardPassages(
  job: ShardJobData,
  options: LoadShardOptions = {},
): Promise<Passage[]> {
  const source = job.source;
  if (source.kind === 'inline') return source.passages;
  const range = { start: source.start, end: source.end, firstLine: source.firstLine };
  const rejects: RejectedRecord[] = [];
  const onReject = (rejected: RejectedRecord) => {
    rejects.push(rejected);
    options.onReject?.(rejected);
  };
  const records = isRemoteCorpus(source.uri)
    ? await readRemoteRange(
        source.uri,
        source.format,
        job.titleField,
        range,
        onReject,
        options.fetch ?? fetch,
      )
    : await readRange(source.uri, source.format, job.titleField, range, onReject);
  const skip = new Set(source.skipOffsets ?? []);
  const kept = skip.size === 0 ? records : records.filter((r) => !skip.has(r.byteOffset));
  if (kept.length !== job.records) {
    const seen = rejects.slice(0, QUOTED_REJECTS).map((r) => `line ${r.line} ${r.kind}`);
    const more = rejects.length > QUOTED_REJECTS ? `, and ${rejects.length - QUOTED_REJECTS} more` : '';
    throw new ShardMismatchError(
      `shard ${job.shardIndex} of ${job.collection}: read ${kept.length} records from ${source.uri} ` +
        `bytes ${source.start}-${source.end}, but ingest accepted ${job.records}; the corpus changed since it was ingested` +
        (rejects.length > 0 ? ` (rejected in the range now: ${seen.join(', ')}${more})` : ''),
    );
  }
  return kept.map(({ id, text, payload }) => ({ id, text, payload: payload ?? null }));
}

/**
 * Reads the records of a range of a local corpus, with the ingest's title field (so the records the producer
 * rejected for their title are rejected here too). Rejects go to `onReject`; the producer counted them already.
 */
async function readRange(
  path: string,
  format: string,
  titleField: string | undefined,
  range: ByteRange,
  onReject: (rejected: RejectedRecord) => void,
): Promise<CorpusRecord[]> {
  const corpus = await openCorpus(path, { format, dedupe: false, titleField });
  const records: CorpusRecord[] = [];
  for await (const result of corpus.read(range)) {
    if (result.ok) records.push(result.record);
    else onReject(result.rejected);
  }
  return records;
}

/**
 * Fetches just the shard's bytes, then reads them with the same reader as a local file. The fetched
 * bytes form a file of their own, so offsets and lines are moved back to where they are in the corpus.
 */
async function readRemoteRange(
  url: string,
  format: string,
  titleField: string | undefined,
  range: ByteRange,
  onReject: (rejected: RejectedRecord) => void,
  fetchImpl: typeof fetch,
): Promise<CorpusRecord[]> {
  const bytes = await fetchByteRange(url, range.start, range.end, fetchImpl);
  const dir = await mkdtemp(join(tmpdir(), 'embedline-shard-'));
  const moveLine = (line: number) => (range.firstLine === undefined ? 0 : line + range.firstLine - 1);
  try {
    const path = join(dir, `shard.${format}`);
    await writeFile(path, bytes);
    const records = await readRange(path, format, titleField, { start: 0, end: bytes.length }, (rejected) =>
      onReject({ ...rejected, line: moveLine(rejected.line), byteOffset: rejected.byteOffset + range.start }),
    );
    return records.map((r) => ({ ...r, line: moveLine(r.line), byteOffset: r.byteOffset + range.start }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
