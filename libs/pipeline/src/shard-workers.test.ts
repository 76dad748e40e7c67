import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRedisConnection, waitForRedis } from '@embedline/queue';
import { PrivateRedis } from '../../../test/support/private-redis.ts';
import { startShardWorkers } from './shard-workers.ts';

describe('startShardWorkers during a Redis outage', { timeout: 60_000 }, () => {
  test("an outage is a warning when it starts and a line when it ends, in the worker's log: not an error per reconnect attempt, nor a raw stack trace", async (t) => {
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    await waitForRedis(connection, redis.url);
    const logged = { info: [] as string[], warn: [] as string[], error: [] as string[] };
    const log = {
      info: (message: string) => void logged.info.push(message),
      warn: (message: string) => void logged.warn.push(message),
      error: (message: string) => void logged.error.push(message),
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
      assert.deepEqual(printed, [], 'nothing printed outside the log');
      // Closing waits for every connection to be back (ioredis retries at most every 2 s).
      await connection.ping();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.deepEqual(logged.error, [], 'no error per reconnect attempt');
      assert.equal(logged.warn.length, 1, logged.warn.join('\n'));
      assert.match(logged.warn[0]!, /^redis connection lost; reconnecting .*: connect ECONNREFUSED/);
      assert.equal(logged.info.length, 1, logged.info.join('\n'));
      assert.match(logged.info[0]!, /^redis connection restored after \d+\.\d s \(\d+ failed attempts\)$/);
    } finally {
      await workers.close();
      await connection.quit();
      await redis.dispose();
    }
  });
});
