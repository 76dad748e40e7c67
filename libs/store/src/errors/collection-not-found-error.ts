/** A collection that does not exist was read from, written to or finalized. */
export class CollectionNotFoundError extends Error {
  override readonly name = 'CollectionNotFoundError';
  readonly collection: string;

  constructor(collection: string, options?: ErrorOptions) {
    super(`collection "${collection}" does not exist (create it with createCollection first)`, options);
    this.collection = collection;
  }
}
