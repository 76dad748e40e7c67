/**
 * Qdrant-specific failures. Unknown collections and dimension mismatches use the shared
 * `CollectionNotFoundError` / `DimensionMismatchError` from `../errors/`, like every adapter.
 */

export interface QdrantErrorOptions extends ErrorOptions {
  /** The server's address as the store reaches it (scheme, host, port, path; never credentials). */
  readonly endpoint?: string | undefined;
}

/** Qdrant answered with an error that retrying cannot fix (400, 401, 403, 500, ...). */
export class QdrantRequestError extends Error {
  override readonly name: string = 'QdrantRequestError';
  /** What the adapter was doing, e.g. `upsert 256 points into "docs"`. */
  readonly operation: string;
  /** HTTP status, when Qdrant answered at all. */
  readonly status: number | undefined;
  /** The server's address, when the failure was a request to it (named in the message). */
  readonly endpoint: string | undefined;

  constructor(operation: string, status: number | undefined, detail: string, options?: QdrantErrorOptions) {
    const where = options?.endpoint === undefined ? '' : `at ${options.endpoint}: `;
    super(
      `Qdrant ${where}${operation} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`,
      options,
    );
    this.operation = operation;
    this.status = status;
    this.endpoint = options?.endpoint;
  }
}

/** What to do when the server stays unavailable, unless the failure says more (see withRetry). */
const OVERLOADED_HINT =
  'the server is overloaded or restarting: retry later, or lower the store concurrency';

/** Qdrant kept answering 429/503 (or the connection kept failing) until the retry budget ran out. */
export class QdrantUnavailableError extends QdrantRequestError {
  override readonly name: string = 'QdrantUnavailableError';
  readonly attempts: number;

  constructor(
    operation: string,
    status: number | undefined,
    attempts: number,
    elapsedMs: number,
    detail: string,
    options?: QdrantErrorOptions & { readonly hint?: string },
  ) {
    super(
      operation,
      status,
      `still unavailable after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s (${detail}); ` +
        (options?.hint ?? OVERLOADED_HINT),
      options,
    );
    this.attempts = attempts;
  }
}

/** Qdrant did not answer within the client timeout. Not retried: the request may still be running there. */
export class QdrantTimeoutError extends QdrantRequestError {
  override readonly name: string = 'QdrantTimeoutError';
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number, options?: QdrantErrorOptions) {
    super(
      operation,
      undefined,
      `no answer within ${timeoutMs} ms (the store's timeoutMs); the server is overloaded or unreachable`,
      options,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** finalize gave up waiting for the collection's optimizers to finish (status stayed yellow/grey). */
export class QdrantFinalizeTimeoutError extends Error {
  override readonly name = 'QdrantFinalizeTimeoutError';
  readonly collection: string;
  readonly lastStatus: string;

  constructor(collection: string, waitedMs: number, lastStatus: string) {
    super(
      `collection "${collection}" was still "${lastStatus}" after ${Math.round(waitedMs / 1000)} s of finalize: ` +
        'Qdrant is still building the index; call finalize again later (it is idempotent) or raise finalizeTimeoutMs',
    );
    this.collection = collection;
    this.lastStatus = lastStatus;
  }
}
