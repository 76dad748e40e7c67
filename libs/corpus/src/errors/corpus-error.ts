/**
 * A problem with a whole corpus file rather than one record (missing or unreadable file, unknown
 * format, an Arrow/Parquet file without an `id` or `text` column, a range asked of a gzip file): the
 * run cannot go on, so it is thrown rather than counted as a reject. The message names the path.
 */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';

  constructor(
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}
