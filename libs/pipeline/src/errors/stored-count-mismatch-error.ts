/** Finalize found a different number of points in the store than the producer accepted records. */
export class StoredCountMismatchError extends Error {
  override readonly name = 'StoredCountMismatchError';

  constructor(
    readonly collection: string,
    readonly stored: number,
    readonly accepted: number,
    /** Points earlier ingests (other corpora) stored in the collection, per its ledger. */
    readonly earlier = 0,
  ) {
    super(
      earlier === 0
        ? `collection ${collection}: the store holds ${stored} points but ${accepted} records were accepted`
        : `collection ${collection}: the store holds ${stored} points but ${accepted} records were accepted and earlier ingests stored ${earlier}: expected between ${accepted} and ${accepted + earlier}`,
    );
  }
}
