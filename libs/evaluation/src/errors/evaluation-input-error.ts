/**
 * An evaluation that cannot run as asked: a qrels file that is missing or malformed, a collection that
 * is not there or was embedded by another model, query and qrels files that share no query. The
 * message names the input (a path, a collection) and the problem.
 */
export class EvaluationInputError extends Error {
  override readonly name = 'EvaluationInputError';

  constructor(
    /** The input at fault: a file path or `collection "name"`. */
    readonly input: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${input}: ${problem}`, options);
  }
}
