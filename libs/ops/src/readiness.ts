import { withTimeout } from './with-timeout.ts';

/** How long each readiness probe may take. */
export const READY_CHECK_TIMEOUT_MS = 2000;

export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, CheckResult>;
}

/** One probe's result as JSON Schema (for routes that return them). */
export const checkResultSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
  required: ['ok'],
} as const;

/**
 * Runs every probe at once, each within READY_CHECK_TIMEOUT_MS; ready when all answered. The keys name the
 * probes, in the results and in a timeout's message ("Redis did not answer within 2000 ms").
 */
export async function runReadinessChecks(
  probes: Readonly<Record<string, () => Promise<unknown> | unknown>>,
): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([what, probe]) => [what, await check(probe, what)] as const),
  );
  return { ready: entries.every(([, result]) => result.ok), checks: Object.fromEntries(entries) };
}

async function check(probe: () => Promise<unknown> | unknown, what: string): Promise<CheckResult> {
  try {
    await withTimeout(Promise.resolve().then(probe), READY_CHECK_TIMEOUT_MS, what);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
