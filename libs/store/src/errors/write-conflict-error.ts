/** A write kept losing commit races against concurrent writers and gave up after bounded retries. */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
  readonly collection: string;
  readonly attempts: number;

  constructor(collection: string, operation: string, attempts: number, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      `${operation} on collection "${collection}" still conflicted with concurrent writers after ${attempts} attempts${cause}`,
      options,
    );
    this.collection = collection;
    this.attempts = attempts;
  }
}
