/** Finalize found a different number of points in the store than the producer accepted records. */
export class StoredCountMismatchError extends Error {
  override readonly name = 'StoredCountMismatchError';

  constructor(
    readonly collection: string,
    readonly stored: number,
    readonly accepted: number,
  ) {
    super(`collection ${collection}: the store holds ${stored} points but ${accepted} records were accepted`);
  }
}
