/**
 * A queries (topics) file that cannot be read as asked: missing, unknown format, or a malformed line
 * or topic. Unlike a corpus, a query set is not read past a bad entry: a dropped query would change
 * every metric computed from the run, so the whole file is refused. The message names the path and,
 * where there is one, the line.
 */
export class QueryFileError extends Error {
  override readonly name = 'QueryFileError';

  constructor(
    readonly path: string,
    readonly problem: string,
    /** 1-based line of the problem; undefined for whole-file problems. */
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(line === undefined ? `${path}: ${problem}` : `${path} line ${line}: ${problem}`, options);
  }
}
