import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import {
  createRedisConnection,
  finalizeJobId,
  IngestManifest,
  QUEUES,
  queueOptions,
  waitForRedis,
} from '@embedline/queue';
import { PrivateRedis } from '../../../test/support/private-redis.ts';
import { FINALIZE_MAX_STALLS, startShardWorkers } from './shard-workers.ts';

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

describe('a finalize job whose worker is lost', { timeout: 60_000 }, () => {
  test(`is taken up again by another worker, up to ${FINALIZE_MAX_STALLS} times (BullMQ's default is once)`, async () => {
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    const prefix = 'finalize-stalls';
    const options = queueOptions(connection, prefix);
    const queue = new Queue(QUEUES.finalize, options);
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    try {
      const id = finalizeJobId('lost', 'f'.repeat(64));
      await new IngestManifest(connection, prefix).begin('lost', 'f'.repeat(64), 'lost.tsv');
      await queue.add(
        'finalize',
        { collection: 'lost', fingerprint: 'f'.repeat(64), acceptedRecords: 0, totalShards: 0 },
        { jobId: id },
      );
      // Two workers in turn take the job and die with it (a forced close stops their lock renewals), each
      // finding it stalled first, as a fleet's next worker does.
      for (let lost = 0; lost < 2; lost++) {
        let took!: () => void;
        const taken = new Promise<void>((resolve) => (took = resolve));
        const doomed = new Worker(QUEUES.finalize, () => (took(), new Promise<never>(() => undefined)), {
          ...options,
          lockDuration: 500,
          stalledInterval: 500,
        });
        doomed.on('error', () => undefined);
        await taken;
        await doomed.close(true);
      }
      // The third worker finds it stalled a second time, and finalizes it.
      const workers = startShardWorkers({
        connection,
        prefix,
        queues: ['finalize'],
        store: { describe: async () => undefined } as never,
        concurrency: 1,
        lockDurationMs: 500,
        log: quiet,
      });
      try {
        const state = await waitForState(queue, id, ['completed', 'failed']);
        assert.equal(state, 'completed', (await queue.getJob(id))?.failedReason);
        assert.ok(((await queue.getJob(id))?.stalledCounter ?? 0) >= 2, 'it was found stalled twice');
      } finally {
        await workers.close();
      }
    } finally {
      await queue.close();
      await connection.quit();
      await redis.dispose();
    }
  });
});

async function waitForState(queue: Queue, id: string, states: string[]): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const state = await queue.getJobState(id);
    if (states.includes(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not reach ${states.join(' or ')}`);
}
