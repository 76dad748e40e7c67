import type { ByteRange } from './byte-range.ts';
import { rejected, type ReadResult } from './corpus-record.ts';
import { checkDuplicate } from './duplicates.ts';
import { IdRegistry } from './id-registry.ts';
import type { Line } from './line-splitter.ts';
import { readLineChunks } from './lines.ts';

/** Turns one line into a result, or undefined for a line that is not a record (blank). */
export type LineParser = (line: Line) => ReadResult | undefined;

export interface LineRecordOptions {
  readonly range?: ByteRange;
  readonly gzip?: boolean;
  readonly dedupe: boolean;
}

/**
 * Reads a one-record-per-line corpus (TSV, JSONL, or their .gz) as results: `parse` judges each
 * line, duplicates are rejected across the read, and a gzip stream that breaks off ends the read
 * with one reject after every complete record before the break. With a range, only records whose
 * first byte lies in [start, end) are read.
 */
export async function* readLineRecords(
  path: string,
  parse: LineParser,
  options: LineRecordOptions,
): AsyncGenerator<ReadResult> {
  const registry = options.dedupe ? new IdRegistry() : undefined;
  const end = options.range?.end ?? Number.POSITIVE_INFINITY;
  for await (const chunk of readLineChunks(path, { ...options.range, gzip: options.gzip })) {
    if ('kind' in chunk) {
      const what =
        chunk.kind === 'truncated-gzip' ? 'the gzip stream ends early' : 'the gzip data is damaged';
      yield rejected(
        chunk.line,
        chunk.byteOffset,
        chunk.kind,
        `${what} (${chunk.message}); whatever followed is lost`,
      );
      return;
    }
    // Lines are split and judged synchronously, a chunk at a time: the only awaits are the chunk
    // reads and the consumer pulling each result.
    for (const line of chunk) {
      if (line.byteOffset >= end) return;
      const result = parse(line);
      if (result !== undefined) yield checkDuplicate(registry, result);
    }
  }
}
