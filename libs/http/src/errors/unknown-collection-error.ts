import { ApiError } from './api-error.ts';

/**
 * 404: the request names a collection the store does not have. `ingest` says why when an ingest of it is
 * under way (it has no points yet), e.g. "its ingest is embedding (0 of 12 shards done)".
 */
export class UnknownCollectionError extends ApiError {
  override readonly name = 'UnknownCollectionError';

  constructor(
    readonly collection: string,
    ingest?: string,
  ) {
    super(
      404,
      'unknown_collection',
      ingest === undefined
        ? `collection "${collection}" does not exist (GET /v1/collections lists them)`
        : `collection "${collection}" does not exist yet: ${ingest}; it appears when its first shard is stored`,
    );
  }
}
