import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { buildOpsServer } from './ops-server.ts';

describe('buildOpsServer', () => {
  const registry = new Registry();
  new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);

  it('answers /healthz, and /metrics in Prometheus text format', async () => {
    const app = buildOpsServer({ registry, readiness: {} });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /^text\/plain/);
    assert.match(metrics.body, /^test_things_total 3$/m);
    await app.close();
  });

  it('is ready when every probe answers, and says which one did not (503 with retry-after)', async () => {
    let redisUp = true;
    const app = buildOpsServer({
      registry,
      readiness: {
        redis: async () => {
          if (!redisUp) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
        store: () => 'fine',
      },
    });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { ready: true, checks: { redis: { ok: true }, store: { ok: true } } });
    redisUp = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.headers['retry-after'], '5');
    assert.deepEqual(notReady.json(), {
      ready: false,
      checks: { redis: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:6379' }, store: { ok: true } },
    });
    await app.close();
  });
});
