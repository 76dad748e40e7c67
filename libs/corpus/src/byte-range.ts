import { CorpusError } from './errors/corpus-error.ts';

/**
 * A shard of a line-based corpus: the records whose first byte lies in [start, end). Ranges that
 * meet (one's end is the next one's start) partition the file exactly, wherever they are cut: a
 * range that starts inside a line leaves that line to the range before it. (TREC ranges must start
 * where a `<DOC>` or stray line starts, since a document spans lines.)
 */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
  /**
   * Number of the first line that starts at or after `start`, when the caller knows it (the producer
   * saw it). Without it a range starting past the first line reports line 0 (unknown): counting the
   * lines before it would mean reading the whole file up to the shard.
   */
  readonly firstLine?: number;
}

export function checkRange(path: string, range: ByteRange): void {
  const { start, end, firstLine } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new CorpusError(
      path,
      `invalid byte range [${start}, ${end}): need integers with 0 <= start <= end`,
    );
  }
  if (firstLine !== undefined && (!Number.isSafeInteger(firstLine) || firstLine < 1)) {
    throw new CorpusError(path, `invalid firstLine ${firstLine}: need a 1-based line number`);
  }
}
