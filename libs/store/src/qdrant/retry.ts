import { QdrantRequestError, QdrantTimeoutError, QdrantUnavailableError } from './qdrant-errors.ts';
import { captureAnswer, type CapturedAnswer } from './retry-after-capture.ts';

export interface RetryOptions {
  /** Attempts per request, the first included. Default 6. */
  readonly maxAttempts?: number;
  /** First backoff step; doubles each attempt. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff step (before honouring Retry-After). Default 15 000 ms. */
  readonly maxDelayMs?: number;
  /** Cap on a server's Retry-After hint, so a bogus header cannot park a worker for an hour. Default 60 000 ms. */
  readonly maxRetryAfterMs?: number;
}

export interface RetryContext {
  readonly options: Required<RetryOptions>;
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** The server's address, named in every error (scheme, host, port, path; never credentials). */
  readonly endpoint?: string;
  /** Whether an API key is sent: a 401 then means a wrong key rather than a missing one. */
  readonly apiKeySent?: boolean;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Statuses that mean "not now": rate limited, overloaded, restarting, or a proxy in front of it is. 408 is
 * Qdrant's answer when an operation outlives its server-side timeout (StorageError::Timeout), or a proxy's
 * when the request was slow to arrive: every request the store makes is idempotent (deterministic point
 * ids that upserts overwrite, creates that adopt what exists, reads), so sending it again is safe.
 */
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);

/**
 * Node's codes for a TLS handshake that cannot succeed by trying again: certificate verification
 * (OpenSSL's X509 verify results, ERR_TLS_CERT_ALTNAME_INVALID) and protocol errors (an https URL for a
 * plain-http server is ERR_SSL_WRONG_VERSION_NUMBER).
 */
const TLS_FAILURE =
  /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|HOSTNAME_MISMATCH$)/;

/** Thrown by an operation to ask for a retry, e.g. an upsert answered `wait_timeout` instead of `completed`. */
export class RetryableCondition extends Error {
  override readonly name = 'RetryableCondition';
}

/** What a failed client call amounts to. */
export type Failure =
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly detail: string;
      readonly retryAfterMs: number | undefined;
    }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly detail: string }
  /** The TLS handshake failed (an untrusted or expired certificate, or an https URL for a plain-http server). */
  | { readonly kind: 'tls'; readonly detail: string }
  /** The answer was not HTTP/1.1 (undici's HPE_* parse errors): a TLS or gRPC (HTTP/2) port spoken to as http. */
  | { readonly kind: 'protocol'; readonly detail: string }
  | { readonly kind: 'condition'; readonly detail: string }
  | { readonly kind: 'other'; readonly detail: string };

/**
 * Classifies what `@qdrant/js-client-rest` (1.19) throws:
 * - `ApiError` (from @qdrant/openapi-typescript-fetch) for any non-2xx answer: `status`, `headers`, `data`;
 * - `QdrantClientResourceExhaustedError` for a 429 that carried Retry-After: the client turns the header
 *   into `retry_after` by taking its FIRST CHARACTER (`headers.get('retry-after')?.[0]`), so "30" arrives
 *   as 3 seconds and the original response is lost: `retryAfter`, the header as the answer carried it
 *   (retry-after-capture.ts), is used instead when given;
 * - a plain `Error("Invalid retryAfter value: T")` when that header is an HTTP date (same bug);
 * - `QdrantClientTimeoutError` when its AbortController fired (our `timeoutMs`);
 * - `TypeError("fetch failed")` from undici for connection failures.
 */
export function classifyFailure(error: unknown, retryAfter?: string): Failure {
  if (error instanceof RetryableCondition) return { kind: 'condition', detail: error.message };
  if (!(error instanceof Error)) return { kind: 'other', detail: String(error) };
  if (error.name === 'QdrantClientTimeoutError') return { kind: 'timeout' };
  const captured = parseRetryAfter(retryAfter, Date.now());
  if (error.name === 'QdrantClientResourceExhaustedError') {
    const seconds = (error as Error & { retry_after?: unknown }).retry_after;
    const truncated = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : undefined;
    return { kind: 'http', status: 429, detail: 'Too Many Requests', retryAfterMs: captured ?? truncated };
  }
  if (/^Invalid retryAfter value/.test(error.message)) {
    return {
      kind: 'http',
      status: 429,
      detail: `Too Many Requests${captured === undefined ? ' (unparsed Retry-After)' : ''}`,
      retryAfterMs: captured,
    };
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') {
    const headers = (error as { headers?: unknown }).headers;
    const retryAfter = headers instanceof Headers ? headers.get('retry-after') : null;
    return {
      kind: 'http',
      status,
      detail: apiErrorDetail(error),
      retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
    };
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as { code?: string; message?: string; name?: string } | undefined;
    const code = cause?.code;
    // The code says it; OpenSSL's message adds only its source location.
    if (code !== undefined && TLS_FAILURE.test(code)) return { kind: 'tls', detail: code };
    // undici 7 (the client's own) leaves `code` unset on its HTTPParserError; Node's builtin sets HPE_*.
    if (cause?.name === 'HTTPParserError' || code?.startsWith('HPE_') === true)
      return { kind: 'protocol', detail: cause?.message ?? code ?? 'HTTPParserError' };
    return { kind: 'network', detail: code ?? cause?.message ?? error.message };
  }
  return { kind: 'other', detail: error.message };
}

/** The server's own words from an ApiError (`{ status: { error } }`), else its status text. */
export function apiErrorDetail(error: unknown): string {
  const data = (error as { data?: unknown }).data;
  if (typeof data === 'object' && data !== null) {
    const status = (data as { status?: unknown }).status;
    if (
      typeof status === 'object' &&
      status !== null &&
      typeof (status as { error?: unknown }).error === 'string'
    ) {
      return (status as { error: string }).error;
    }
  }
  if (typeof data === 'string' && data.length > 0) return data.slice(0, 300);
  const statusText = (error as { statusText?: unknown }).statusText;
  return typeof statusText === 'string' && statusText.length > 0
    ? statusText
    : error instanceof Error
      ? error.message
      : String(error);
}

/**
 * Whether an error answer came from Qdrant: its ErrorResponse body, `{ status: { error }, time }` (the
 * OpenAPI document's ErrorResponse), rather than a proxy's or another server's page.
 */
export function answeredByQdrant(error: unknown): boolean {
  const data = (error as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return false;
  const status = (data as { status?: unknown }).status;
  return (
    typeof status === 'object' && status !== null && typeof (status as { error?: unknown }).error === 'string'
  );
}

/** Retry-After as delta-seconds (RFC 9110 allows only integers; decimals are accepted) or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Equal-jitter exponential backoff: half the step fixed, half random, so retries spread out but still wait. */
export function backoffDelay(attempt: number, options: Required<RetryOptions>, random: () => number): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return step / 2 + random() * (step / 2);
}

/**
 * Runs `call`, retrying 408/429/502/503/504, connection failures and `RetryableCondition`s with backoff and
 * jitter (at least the server's Retry-After), up to `maxAttempts`; then throws `QdrantUnavailableError`.
 * Timeouts become `QdrantTimeoutError` at once. Other failures are handed to `onFatal`, which may return the
 * error to throw (the caller maps 404 to CollectionNotFoundError); else a `QdrantRequestError` is thrown.
 */
export async function withRetry<T>(
  operation: string,
  context: RetryContext,
  call: () => Promise<T>,
  onFatal?: (failure: Failure, error: unknown) => Error | undefined,
): Promise<T> {
  const started = Date.now();
  const { options } = context;
  for (let attempt = 1; ; attempt++) {
    const answer: CapturedAnswer = {};
    try {
      return await captureAnswer(answer, call);
    } catch (error) {
      const failure = classifyFailure(error, answer.retryAfter);
      const { endpoint } = context;
      if (failure.kind === 'timeout')
        throw new QdrantTimeoutError(operation, context.timeoutMs, { cause: error, endpoint });
      const retryable =
        failure.kind === 'network' ||
        failure.kind === 'condition' ||
        (failure.kind === 'http' && RETRYABLE_STATUS.has(failure.status));
      if (!retryable) throw onFatal?.(failure, error) ?? fatalError(operation, failure, error, context);
      const status = failure.kind === 'http' ? failure.status : undefined;
      if (attempt >= options.maxAttempts) {
        const detail =
          failure.kind === 'http'
            ? `last answer: HTTP ${failure.status} ${failure.detail}`
            : `last failure: ${failure.detail}`;
        throw new QdrantUnavailableError(operation, status, attempt, Date.now() - started, detail, {
          cause: error,
          endpoint,
          hint: unreachableHint(failure),
        });
      }
      const hint =
        failure.kind === 'http' && failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, options.maxRetryAfterMs)
          : 0;
      // Honour the hint, plus a little jitter so a fleet of workers told "1 s" does not return in lockstep.
      const delay = Math.max(
        backoffDelay(attempt, options, context.random),
        hint > 0 ? hint + context.random() * options.baseDelayMs : 0,
      );
      await context.sleep(delay);
    }
  }
}

/** The error for a failure that retrying cannot fix, saying what to check where the status tells. */
export function fatalError(
  operation: string,
  failure: Failure,
  error: unknown,
  context?: Pick<RetryContext, 'endpoint' | 'apiKeySent'>,
): Error {
  const options = { cause: error, endpoint: context?.endpoint };
  if (failure.kind === 'http') {
    const hint =
      failure.status === 401
        ? context?.apiKeySent === false
          ? ' (the server requires an API key: set QDRANT_API_KEY / QdrantStore apiKey)'
          : ' (check the API key: QdrantStore apiKey / QDRANT_API_KEY)'
        : failure.status === 403
          ? ' (a read-only key, or a JWT without write access to this collection, cannot create collections' +
            ' or write points: ingest and finalize need the read-write key in QDRANT_API_KEY / QdrantStore' +
            " apiKey; Qdrant's write lock, POST /locks, refuses writes with a 403 too)"
          : '';
    return new QdrantRequestError(operation, failure.status, `${failure.detail}${hint}`, options);
  }
  if (failure.kind === 'protocol') {
    return new QdrantRequestError(
      operation,
      undefined,
      `the answer is not HTTP/1.1 (${failure.detail}): a server with TLS named by an http:// URL (Qdrant` +
        " Cloud and Qdrant with TLS on need https://), or Qdrant's gRPC port (6334; its REST API, which the" +
        ' store speaks, is on 6333)',
      options,
    );
  }
  if (failure.kind === 'tls') {
    return new QdrantRequestError(
      operation,
      undefined,
      `TLS failed (${failure.detail}): for a server whose certificate a private CA signed, give Node that CA` +
        ' (NODE_EXTRA_CA_CERTS=/path/to/ca.pem); for a server without TLS, use an http:// URL',
      options,
    );
  }
  return new QdrantRequestError(
    operation,
    undefined,
    failure.kind === 'other' ? failure.detail : failure.kind,
    options,
  );
}

/** What to check when the connection itself keeps failing; undefined for an overloaded server's answers. */
function unreachableHint(failure: Failure): string | undefined {
  if (failure.kind !== 'network') return undefined;
  switch (failure.detail) {
    case 'ECONNREFUSED':
      return "nothing accepts connections there: is Qdrant running, and are QDRANT_URL's host and port right (a URL without a port means 6333)?";
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return "the host name does not resolve: check QDRANT_URL's host";
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host does not answer: check QDRANT_URL, and the network (firewall, network policy) between here and Qdrant';
    default:
      return undefined;
  }
}
