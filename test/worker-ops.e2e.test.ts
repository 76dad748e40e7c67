/**
 * The worker's operations endpoints as Kubernetes and Prometheus use them, the worker running as its own
 * process: /healthz answers while /readyz says what is missing (here: Redis is unreachable), and a metrics port
 * that cannot be bound stops the worker with one line naming the setting. (Counts after a real ingest are
 * checked in pipeline.e2e.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { exited, startApp, stopApp, waitFor } from './support/processes.ts';

describe('worker operations endpoints', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-worker-ops-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    // Nothing listens on port 1: the worker cannot reach Redis.
    EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1',
    EMBEDLINE_QUEUE_PREFIX: 'worker-ops',
    EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
    EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
    EMBEDLINE_INTRA_OP_THREADS: '1',
    LOG_LEVEL: 'info',
  };

  test('/healthz answers and /readyz is 503 naming the dependency that does not answer', async () => {
    const worker = startApp('worker', ['--metrics-port', '0', '--metrics-host', '127.0.0.1'], env);
    try {
      const base = await waitFor('the operations address', async () => /operations server on (\S+) /.exec(worker.output())?.[1]);
      assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
      const report = await waitFor('the model to load', async () => {
        const body = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
        return body.checks.model?.ok === true ? body : undefined;
      });
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.headers.get('retry-after'), '5');
      assert.equal(report.checks.store?.ok, true, JSON.stringify(report));
      assert.equal(report.checks.redis?.ok, false, JSON.stringify(report));
      assert.match(await (await fetch(`${base}/metrics`)).text(), /^embedline_worker_active_shards 0$/m);
      // The log says what is wrong, once per 10 s, without stack traces, and never that the worker is ready.
      await waitFor('the Redis warning', async () => (/Redis did not answer/.test(worker.output()) ? true : undefined), 30_000);
      assert.match(
        worker.output(),
        /"msg":"--redis \(EMBEDLINE_REDIS_URL\) redis:\/\/127\.0\.0\.1:1: Redis did not answer within 10 s \(connect ECONNREFUSED 127\.0\.0\.1:1\); is it running, and is this its URL\? Waiting for it/,
      );
      assert.doesNotMatch(worker.output(), /worker ready/);
      assert.doesNotMatch(worker.output(), /^\s+at /m, 'no stack trace');
    } finally {
      await stopApp(worker, 'SIGKILL');
    }
  });

  test('a metrics port that is taken stops the worker with one line naming the setting', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const worker = startApp('worker', ['--metrics-port', String(port), '--metrics-host', '127.0.0.1'], env);
      assert.equal(await exited(worker), 1);
      assert.match(worker.output(), new RegExp(`embedline-worker: --metrics-port \\(EMBEDLINE_WORKER_METRICS_PORT\\) ${port} on 127\\.0\\.0\\.1: .*EADDRINUSE`));
      assert.doesNotMatch(worker.output(), /^\s+at /m, 'no stack trace');
    } finally {
      blocker.close();
    }
  });
});
