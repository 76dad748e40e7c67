import { ApiError } from './api-error.ts';

/** Seconds a client should wait before retrying after a store outage. */
export const STORE_RETRY_AFTER_S = 5;

/** 503 with Retry-After: the vector store failed or did not answer; the request itself was fine. */
export class StoreUnavailableError extends ApiError {
  override readonly name = 'StoreUnavailableError';

  constructor(operation: string, cause: unknown) {
    super(
      503,
      'store_unavailable',
      `the vector store is unavailable (${operation}); retry after ${STORE_RETRY_AFTER_S} s`,
      { 'retry-after': String(STORE_RETRY_AFTER_S) },
      { cause },
    );
  }
}
