import { CollectionNotFoundError, DimensionMismatchError } from '@embedline/store';
import { ApiError } from './errors/api-error.ts';
import { StoreUnavailableError } from './errors/store-unavailable-error.ts';
import { UnknownCollectionError } from './errors/unknown-collection-error.ts';
import type { ApiMetrics } from './metrics.ts';

/**
 * Every store call the routes make, timed into the store-latency histogram and with its failures turned
 * into answers: a missing collection is a 404, a collection embedded by another model (another
 * dimension) a 409, and anything else the store throws — connection refused, timeouts, I/O errors — a
 * 503 with Retry-After, since the request itself was valid.
 */
export async function callStore<T>(
  metrics: ApiMetrics,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  const done = metrics.storeSeconds.startTimer({ operation });
  try {
    const result = await call();
    done({ outcome: 'ok' });
    return result;
  } catch (error) {
    done({ outcome: 'error' });
    throw asApiError(error, operation);
  }
}

function asApiError(error: unknown, operation: string): Error {
  if (error instanceof ApiError) return error;
  if (error instanceof CollectionNotFoundError) return new UnknownCollectionError(error.collection);
  if (error instanceof DimensionMismatchError) {
    return new ApiError(
      409,
      'dimension_mismatch',
      `${error.message}: the collection was embedded by another model than this service runs`,
    );
  }
  return new StoreUnavailableError(operation, error);
}
