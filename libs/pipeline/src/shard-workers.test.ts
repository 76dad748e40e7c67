import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRedisConnection, waitForRedis } from '@embedline/queue';
import { PrivateRedis } from '../../../test/support/private-redis.ts';
import { startShardWorkers } from './shard-workers.ts';

describe('startShardWorkers during a Redis outage', { timeout: 60_000 }, () => {
  test("its queues' Redis errors go to the worker's log, not to stderr as raw stack traces", async (t) => {
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    await waitForRedis(connection, redis.url);
    const logged: string[] = [];
    const log = {
      info: () => undefined,
      warn: (message: string) => void logged.push(message),
      error: (message: string) => void logged.push(message),
    };
    const workers = startShardWorkers({
      connection,
      prefix: 'shard-workers-test',
      queues: ['finalize'],
      store: {} as never, // never reached: no job is enqueued
      concurrency: 1,
      log,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const printed: unknown[][] = [];
      t.mock.method(console, 'error', (...args: unknown[]) => void printed.push(args));
      const outage = redis.restart(2500);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      t.mock.restoreAll();
      await outage;
      assert.ok(
        logged.some((message) => /^dead-letter queue: connect ECONNREFUSED/.test(message)),
        logged.join('\n'),
      );
      assert.deepEqual(printed, [], 'nothing printed outside the log');
    } finally {
      // Closing waits for every connection to be back (ioredis retries at most every 2 s).
      await connection.ping();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await workers.close();
      await connection.quit();
      await redis.dispose();
    }
  });
});
