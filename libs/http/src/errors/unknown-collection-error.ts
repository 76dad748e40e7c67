import { ApiError } from './api-error.ts';

/** 404: the request names a collection the store does not have. */
export class UnknownCollectionError extends ApiError {
  override readonly name = 'UnknownCollectionError';

  constructor(readonly collection: string) {
    super(
      404,
      'unknown_collection',
      `collection "${collection}" does not exist (GET /v1/collections lists them)`,
    );
  }
}
