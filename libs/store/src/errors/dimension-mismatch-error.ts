/**
 * Vectors of one width met a collection of another: creating an existing collection with another
 * dimension, upserting a batch of other-width vectors, or searching with a query of another length.
 */
export class DimensionMismatchError extends Error {
  override readonly name = 'DimensionMismatchError';
  readonly collection: string;
  /** The collection's dimension. */
  readonly expected: number;
  /** The width that was offered. */
  readonly actual: number;

  /** `what` names the offending input, e.g. "the batch's vectors have" or "the query has". */
  constructor(collection: string, expected: number, actual: number, what: string, options?: ErrorOptions) {
    super(`collection "${collection}" has dimension ${expected}, but ${what} ${actual}`, options);
    this.collection = collection;
    this.expected = expected;
    this.actual = actual;
  }
}
