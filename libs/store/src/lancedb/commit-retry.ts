import { WriteConflictError } from '../errors/write-conflict-error.ts';
import { isVersionRemoved, messageOf } from './lance-errors.ts';

/** Bounded retries with exponential backoff and full jitter. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };

/**
 * Whether a LanceDB error is a lost optimistic-concurrency race (another process committed a
 * conflicting version first), which a fresh attempt can win. Lance words these "Retryable commit
 * conflict for version N", "Commit conflict for version N" and "Too much write contention".
 */
export function isCommitConflict(error: unknown): boolean {
  return /commit conflict|conflicts? with (a )?concurrent|write contention|too many concurrent writers/i.test(
    messageOf(error),
  );
}

/**
 * Whether a LanceDB call lost a race with another process that a fresh attempt can win: a commit
 * conflict, or a version that another process's compaction deleted as this call read it (isVersionRemoved).
 */
export function isLostRace(error: unknown): boolean {
  return isCommitConflict(error) || isVersionRemoved(error);
}

/**
 * Runs `operation`, again after a jittered backoff each time it loses a race (isLostRace), and throws
 * `WriteConflictError` (with the last error as its cause) once `policy.attempts` tries all lost.
 * Other errors propagate at once. LanceDB already retries conflicts inside one call; this covers the
 * contention that outlasts its own budget.
 */
export async function retryOnLostRace<T>(
  collection: string,
  what: string,
  operation: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isLostRace(error)) throw error;
      if (attempt >= policy.attempts)
        throw new WriteConflictError(collection, what, attempt, { cause: error });
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }
}
