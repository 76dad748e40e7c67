// HTTP against the hub: requests with the token, statuses turned into errors that say what to do, and
// retries with exponential backoff for what is worth retrying (dropped connections, 408, 429, 5xx).
import { ModelDownloadError } from './errors/index.ts';

export interface RetryOptions {
  /** Tries in all, the first included (default 5). */
  readonly attempts?: number;
  /** The wait before the 2nd try; it doubles on each further try (default 500 ms). */
  readonly baseDelayMs?: number;
  /** No wait is longer than this, Retry-After included (default 30 s). */
  readonly maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** The Retry-After a failed response carried, kept beside the error it became. */
const retryAfterOf = new WeakMap<ModelDownloadError, string>();

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ModelDownloadError)) return false;
  if (error.code === 'network') return true;
  return error.code === 'http' && error.status !== undefined && TRANSIENT_STATUSES.has(error.status);
}

/** Milliseconds to wait before try `attempt + 1`: Retry-After (seconds or an HTTP date) when given, else backoff. */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null | undefined,
  options: Required<RetryOptions>,
  now: number = Date.now(),
): number {
  let delay = options.baseDelayMs * 2 ** (attempt - 1);
  if (retryAfter) {
    const trimmed = retryAfter.trim();
    const seconds = /^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
    if (Number.isFinite(seconds)) delay = Math.max(0, seconds);
  }
  return Math.min(delay, options.maxDelayMs);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describeReason(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

export function abortedError(what: string, signal: AbortSignal, file?: string): ModelDownloadError {
  return new ModelDownloadError('aborted', `${what} was aborted (${describeReason(signal.reason)})`, {
    file,
    cause: signal.reason,
  });
}

/** `fetch failed` says nothing; its cause (ECONNREFUSED, ENOTFOUND, other side closed...) does. */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return error.message;
}

export interface RequestContext {
  readonly repo: string;
  readonly revision: string;
  /** The repo file being downloaded; undefined for the listing request. */
  readonly file?: string;
  readonly tokenSent: boolean;
}

/** Turns a non-OK response into an error that names the repo, revision or file and says what to do. */
export async function errorForResponse(
  response: Response,
  url: string,
  ctx: RequestContext,
): Promise<ModelDownloadError> {
  const status = response.status;
  const hubCode = response.headers.get('x-error-code');
  const hubMessage = response.headers.get('x-error-message');
  await response.body?.cancel().catch(() => undefined);
  const subject =
    ctx.file === undefined ? `${ctx.repo}@${ctx.revision}` : `${ctx.file} of ${ctx.repo}@${ctx.revision}`;
  const detail = hubMessage ? ` The hub says: ${hubMessage}` : '';
  const details = { file: ctx.file, url, status };

  if (status === 401 || status === 403) {
    const advice = ctx.tokenSent
      ? 'The token sent (the token option or HF_TOKEN) is not allowed to read it: check that it is valid and has access to the repo.'
      : 'If the repo is private or gated, set HF_TOKEN (or pass the token option) to a Hugging Face token with access to it.';
    return new ModelDownloadError(
      'unauthorized',
      `the Hugging Face Hub refused access to ${subject} (${status} ${response.statusText}) at ${url}. ` +
        `${advice} A 401 also means the repo does not exist: check the repo id.${detail}`,
      details,
    );
  }
  if (status === 404) {
    const what =
      ctx.file !== undefined && hubCode !== 'RepoNotFound' && hubCode !== 'RevisionNotFound'
        ? `file ${ctx.file} was not found in ${ctx.repo} at revision ${ctx.revision}`
        : hubCode === 'RevisionNotFound'
          ? `revision ${ctx.revision} was not found in ${ctx.repo}`
          : `${ctx.repo} (revision ${ctx.revision}) was not found: check the repo id and the revision`;
    return new ModelDownloadError('not-found', `${what} (404 at ${url}).${detail}`, details);
  }
  const error = new ModelDownloadError(
    'http',
    `the Hugging Face Hub answered ${status} ${response.statusText} for ${subject} at ${url}.${detail}`,
    details,
  );
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== null) retryAfterOf.set(error, retryAfter);
  return error;
}

export interface RetryContext {
  readonly retry: Required<RetryOptions>;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the tries are used up. `attempt` itself must
 * leave things so that the next try can pick up (the downloader keeps its partial file for a Range request).
 */
export async function withRetries<T>(
  what: string,
  ctx: RetryContext,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (ctx.signal?.aborted) {
        throw error instanceof ModelDownloadError && error.code === 'aborted'
          ? error
          : abortedError(what, ctx.signal);
      }
      if (!isRetryable(error)) throw error;
      const failure = error as ModelDownloadError;
      if (n >= ctx.retry.attempts) {
        throw new ModelDownloadError(failure.code, `${failure.message} (gave up after ${n} tries)`, {
          file: failure.file,
          url: failure.url,
          status: failure.status,
          cause: failure,
        });
      }
      const retryAfter = retryAfterOf.get(failure);
      const delay = retryDelayMs(n, retryAfter, ctx.retry);
      const why = retryAfter === undefined ? '' : ` (Retry-After: ${retryAfter})`;
      ctx.log?.(`${failure.message}; retrying in ${delay} ms${why}, try ${n + 1} of ${ctx.retry.attempts}`);
      try {
        await sleep(delay, ctx.signal);
      } catch (reason) {
        throw ctx.signal ? abortedError(what, ctx.signal) : reason;
      }
    }
  }
}
