// What the connected Qdrant server supports, read off its version (`GET /`), so the store can use newer
// features (collection metadata) without breaking on older servers.
import { QdrantRequestError, QdrantUnavailableError } from './qdrant-errors.ts';

export interface ServerFeatures {
  readonly version: string | undefined;
  /** Collection metadata (`metadata` on create/update/info), added in Qdrant 1.16. */
  readonly metadata: boolean;
}

export function featuresOf(version: string): ServerFeatures {
  return { version, metadata: atLeast(version, 1, 16) };
}

/**
 * The features to assume when reading the version failed: a proxy that hides "/" (a 4xx) should not stop
 * ingest, so go without collection metadata; anything else is rethrown, a 429 that outlasted the retries
 * included (QdrantUnavailableError): the store remembers the answer for its lifetime, and a rate limit of
 * the moment must not make it treat a 1.19 server as one without metadata from then on.
 */
export function featuresWithoutVersion(error: unknown): ServerFeatures {
  if (
    error instanceof QdrantRequestError &&
    !(error instanceof QdrantUnavailableError) &&
    error.status !== undefined &&
    error.status < 500
  )
    return { version: undefined, metadata: false };
  throw error;
}

function atLeast(version: string, major: number, minor: number): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a > major || (a === major && b >= minor);
}
