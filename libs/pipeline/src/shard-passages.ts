import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCorpus } from '@embedline/corpus';
import type { Passage, ShardJobData } from '@embedline/queue';
import { ShardMismatchError } from './errors/shard-mismatch-error.ts';

/**
 * The passages of one shard: carried in the job, or re-read from the corpus's byte range (a shared
 * path, or an http(s) URL fetched with a Range request). The count must match what the producer
 * accepted; anything else means the corpus changed under us.
 */
export async function loadShardPassages(job: ShardJobData, fetchImpl: typeof fetch = fetch): Promise<Passage[]> {
  const source = job.source;
  if (source.kind === 'inline') return source.passages;
  const passages = /^https?:\/\//.test(source.uri)
    ? await readRemoteRange(source.uri, source.format, source.start, source.end, fetchImpl)
    : await readRange(source.uri, source.format, source.start, source.end);
  const skip = new Set(source.skipOffsets ?? []);
  const kept = skip.size === 0 ? passages : passages.filter((p) => !skip.has(p.byteOffset));
  if (kept.length !== job.records) {
    throw new ShardMismatchError(
      `shard ${job.shardIndex} of ${job.collection}: read ${kept.length} records from ${source.uri} ` +
        `bytes ${source.start}-${source.end}, but ingest accepted ${job.records}; the corpus changed since it was ingested`,
    );
  }
  return kept.map(({ id, text, payload }) => ({ id, text, payload }));
}

type LocatedPassage = Passage & { readonly byteOffset: number };

async function readRange(path: string, format: string, start: number, end: number, shift = 0): Promise<LocatedPassage[]> {
  const corpus = await openCorpus(path, { format, dedupe: false });
  const passages: LocatedPassage[] = [];
  // Bad records in the range were counted and reported by the producer; here they are skipped.
  for await (const result of corpus.read({ start: start - shift, end: end - shift })) {
    if (!result.ok) continue;
    const { id, text, payload, byteOffset } = result.record;
    passages.push({ id, text, payload: payload ?? null, byteOffset: byteOffset + shift });
  }
  return passages;
}

/** Fetches just the shard's bytes, then reads them with the same reader as a local file. */
async function readRemoteRange(url: string, format: string, start: number, end: number, fetchImpl: typeof fetch) {
  const response = await fetchImpl(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
  if (response.status !== 206) {
    throw new Error(`${url}: expected 206 Partial Content for bytes ${start}-${end - 1}, got ${response.status}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'embedline-shard-'));
  try {
    const path = join(dir, `shard.${format}`);
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    return await readRange(path, format, start, end, start);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
