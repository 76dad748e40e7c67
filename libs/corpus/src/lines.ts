import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ByteRange } from './byte-range.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { LineSplitter, type Line } from './line-splitter.ts';
import { readProblem } from './read-problem.ts';

export type { Line } from './line-splitter.ts';

export interface LineSourceOptions {
  /** First byte to read (default 0); lines starting before it are left out. Not for gzip. */
  readonly start?: number;
  /** Where the caller will stop: only sizes the reads (stopping is the caller's, which may need to read past it). */
  readonly end?: number;
  /** Number of the first line at or after `start` (see ByteRange.firstLine). */
  readonly firstLine?: number;
  /** Decompress the file with gzip first; offsets are then in the decompressed stream. */
  readonly gzip?: boolean;
  readonly maxLineBytes?: number;
}

/** Where a gzip stream broke off: every complete line before it was yielded; what follows is lost. */
export interface StreamCut {
  readonly kind: 'truncated-gzip' | 'corrupt-gzip';
  readonly line: number;
  readonly byteOffset: number;
  readonly message: string;
}

const BOM_LENGTH = 3;
/**
 * Bytes per read. Every Line of the chunk being processed is alive whenever V8's young-generation GC
 * runs, so it is promoted to the old generation and lingers there until the next full GC: with 1 MiB
 * chunks the producer's heap climbed to ~170 MB between full GCs, and its peak RSS grew 1.6x from a
 * 100k- to a 1M-passage corpus (194 -> 307 MiB) with a live set of ~40 MB. With 256 KiB: 192 -> 202 MiB,
 * and a little less CPU (the producer alone, its high-water mark above the shard count so that it never
 * waits; `bench/pipeline/scale.ts` measures it within whole ingests).
 */
const MAX_READ = 256 << 10;
const MIN_READ = 64 << 10;
/** zlib output chunk for .gz corpora (its default is 16 KiB): see readLineChunks. */
const GUNZIP_CHUNK = 64 << 10;

/**
 * Streams the lines of a file (or of the gzip-compressed file), a chunk's worth at a time, in
 * constant memory. A gzip stream that breaks off ends with one StreamCut instead of an error, so the
 * reader can count it as a reject and keep the records before it; I/O errors are whole-file
 * problems (CorpusError), and so is a file that is not gzip at all (see checkGzipFile).
 */
export async function* readLineChunks(
  path: string,
  options: LineSourceOptions = {},
): AsyncGenerator<readonly Line[] | StreamCut> {
  const start = options.start ?? 0;
  // A range can only start at a line start, which is offset 0, just after the BOM, or just after a
  // LF: reading from start - 1 and dropping through the first LF lands exactly there. Near the file
  // start the BOM decides, so that case reads from 0 and filters.
  const fromFileStart = start <= BOM_LENGTH;
  const splitter = fromFileStart
    ? new LineSplitter({ maxLineBytes: options.maxLineBytes })
    : new LineSplitter({
        offset: start - 1,
        firstLine: options.firstLine ?? 0,
        atFileStart: false,
        resync: true,
        maxLineBytes: options.maxLineBytes,
      });
  // A worker reading a small shard should not pull a whole megabyte past its end from a shared disk.
  const highWaterMark =
    options.end === undefined
      ? MAX_READ
      : Math.min(MAX_READ, Math.max(MIN_READ, options.end - start + MIN_READ));
  const file = createReadStream(path, { start: fromFileStart ? 0 : start - 1, highWaterMark });
  // pipeline() ties the two streams' lives together: a read error reaches the consumer, and a consumer
  // that stops early closes the file.
  // 64 KiB output chunks: on damaged data zlib drops the chunk it was filling, so a bigger one loses more
  // good text before the damage; zlib's default 16 KiB made reading a .tsv.gz ~1.6x slower (one round trip
  // to the thread pool per 16 KiB: bench/corpus/read.ts, 2026-11-29), and 256 KiB gained little more.
  const stream = options.gzip ? pipeline(file, createGunzip({ chunkSize: GUNZIP_CHUNK }), () => {}) : file;
  const keep = (line: Line) => line.byteOffset >= start;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = splitter.split(chunk);
      const kept = fromFileStart && start > 0 ? lines.filter(keep) : lines;
      if (kept.length > 0) yield kept;
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (!options.gzip || typeof code !== 'string' || !code.startsWith('Z_')) {
      throw new CorpusError(path, readProblem(error), { cause: error });
    }
    // zlib reports a stream that simply stops as Z_BUF_ERROR "unexpected end of file"; anything else
    // (bad CRC, bad block, trailing garbage) is damage.
    yield {
      kind: code === 'Z_BUF_ERROR' ? 'truncated-gzip' : 'corrupt-gzip',
      line: splitter.nextLine,
      byteOffset: splitter.nextOffset,
      message,
    };
    return;
  }
  const last = splitter.finish();
  if (last && keep(last)) yield [last];
}

/** A file named .gz that does not start with the gzip magic bytes is a CorpusError, not one reject. */
export async function checkGzipFile(path: string): Promise<void> {
  const handle = await open(path);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    // Shorter than the magic: a truncated gzip file, reported as such when read.
    if (bytesRead === 2 && (buffer[0] !== 0x1f || buffer[1] !== 0x8b)) {
      throw new CorpusError(path, 'not a gzip file (no gzip magic bytes at its start)');
    }
  } finally {
    await handle.close();
  }
}

/**
 * Streams a file line by line in constant memory, with each line's number and byte offset. With a
 * range, yields only the lines whose first byte lies in [start, end).
 */
export async function* readLines(path: string, range?: ByteRange): AsyncGenerator<Line> {
  for await (const chunk of readLineChunks(path, range ?? {})) {
    if ('kind' in chunk) return; // only gzip streams are cut
    for (const line of chunk) {
      if (range && line.byteOffset >= range.end) return;
      yield line;
    }
  }
}
