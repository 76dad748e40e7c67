import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { READY_CHECK_TIMEOUT_MS, runReadinessChecks } from './readiness.ts';

describe('runReadinessChecks', () => {
  it('names a probe that hangs, without waiting for it longer than the timeout', async () => {
    const started = Date.now();
    const report = await runReadinessChecks({
      Redis: () => new Promise(() => {}),
      store: () => undefined,
      model: () => {
        throw new Error('the model is still loading');
      },
    });
    assert.ok(Date.now() - started < READY_CHECK_TIMEOUT_MS * 2, 'the probes ran at once, each bounded');
    assert.deepEqual(report, {
      ready: false,
      checks: {
        Redis: { ok: false, detail: `Redis did not answer within ${READY_CHECK_TIMEOUT_MS} ms` },
        store: { ok: true },
        model: { ok: false, detail: 'the model is still loading' },
      },
    });
  });

  it('is ready with no probes at all', async () => {
    assert.deepEqual(await runReadinessChecks({}), { ready: true, checks: {} });
  });
});
