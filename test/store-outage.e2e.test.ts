/**
 * The store goes down while shards are being written. Real parts but for the outage itself: a
 * private redis-server, BullMQ, the ONNX encoder (tiny fixture model), LanceDB in a temp folder
 * behind a switch that makes upserts fail like a store that is down. Retry settings are the
 * producer's, made short here so the retries take milliseconds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Encoder } from '@embedline/encoder';
import { replayFailedShards } from '@embedline/pipeline';
import { LanceDbStore } from '@embedline/store';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { FlakyStore, type OutageRule } from './support/flaky-store.ts';
import { InProcessPipeline } from './support/in-process-pipeline.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { disposeSuiteResources, startSuiteResources } from './support/suite-resources.ts';
import { runApp } from './support/processes.ts';
import { readAllPoints, repeated } from './support/stored-points.ts';

const PASSAGES = 600;
const SHARD_SIZE = 100;

describe('store outage', { timeout: 300_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  let encoder: Encoder;
  before(async () => ({ redis, dir, encoder } = await startSuiteResources('outage')));
  after(() => disposeSuiteResources({ redis, dir, encoder }));

  /** A 600-passage corpus (6 shards) ingested into a store that fails as `outage` says, with one worker. */
  async function startScenario(
    name: string,
    outage: OutageRule,
    retry: { attempts: number; backoffMs: number },
  ) {
    const corpus = join(dir, `${name}.tsv`);
    const entries = writeTsvCorpus(corpus, PASSAGES);
    const store = new FlakyStore(new LanceDbStore({ uri: join(dir, name) }), outage);
    const pipeline = new InProcessPipeline(redis.url);
    // Encode calls of 40: a shard is encoded in three calls, then written in one upsert.
    pipeline.startWorkers({ encoder, store, concurrency: 1, batchPassages: 40 });
    const summary = await pipeline.ingest({
      corpus,
      collection: name,
      shardSize: SHARD_SIZE,
      store,
      retry,
    });
    assert.equal(summary.enqueuedShards, PASSAGES / SHARD_SIZE);
    return { store, pipeline, ids: entries.map(([id]) => id) };
  }

  async function assertStoredExactlyOnce(store: FlakyStore, collection: string, expected: string[]) {
    const { ids } = await readAllPoints(store, collection);
    assert.deepEqual(repeated(ids), [], 'no passage stored twice');
    assert.deepEqual([...ids].sort(), [...expected].sort(), 'every accepted passage stored');
  }

  test('an outage shorter than the retries: the failing shard backs off, retries and completes; nothing dead-lettered', async () => {
    // The store refuses shard 0 (ids 0-99) three times in a row; with 5 attempts its 4th succeeds.
    let refusedShard0 = 0;
    const outage: OutageRule = ({ ids }) => ids.includes('0') && refusedShard0++ < 3;
    const { store, pipeline, ids } = await startScenario('brief', outage, { attempts: 5, backoffMs: 20 });
    try {
      const status = await pipeline.waitForStatus('brief', 'finalized', (s) => s.state === 'finalized');
      assert.equal(store.refused, 3, 'the outage refused three upserts');
      assert.equal(
        pipeline.log.warn.filter((m) => /will retry: store unavailable/.test(m)).length,
        3,
        pipeline.log.warn.join('\n'),
      );
      assert.deepEqual(status.deadLetters, []);
      assert.equal(status.queue.failed, 0);
      assert.equal(status.snapshot?.storedCount, PASSAGES, 'finalize counted every passage once');
      await assertStoredExactlyOnce(store, 'brief', ids);
    } finally {
      await pipeline.close();
      await store.close();
    }
  });

  test('an outage longer than the retries: the shard is dead-lettered with its error, shown by status, and replay completes the collection once', async () => {
    // Shard 2 (ids 200-299) cannot be written until the store heals; 3 attempts.
    const outage: OutageRule = ({ ids }) => ids.includes('250');
    const { store, pipeline, ids } = await startScenario('long', outage, { attempts: 3, backoffMs: 10 });
    try {
      const stalled = await pipeline.waitForStatus(
        'long',
        'shard 2 dead-lettered, the other five done',
        (s) => s.deadLetters.length === 1 && s.snapshot?.doneShards === 5,
      );
      assert.equal(stalled.state, 'stalled-on-failures');
      assert.equal(stalled.queue.failed, 1);
      const [dead] = stalled.deadLetters;
      assert.equal(dead!.shardIndex, 2);
      assert.equal(dead!.attempts, 3, 'the injected attempt count, not the default');
      assert.match(dead!.error, /store unavailable \(simulated outage/);
      assert.equal(store.refused, 3);
      assert.equal(stalled.snapshot?.finalizedAt, undefined, 'finalize waits for the failed shard');

      // What an operator sees, from the CLI.
      const shown = await runApp('producer', ['status', 'long'], {
        EMBEDLINE_REDIS_URL: redis.url,
        EMBEDLINE_QUEUE_PREFIX: pipeline.prefix,
      });
      assert.equal(shown.code, 0, shown.output);
      assert.match(shown.output, /long: stalled-on-failures/);
      assert.match(shown.output, /FAILED\s+shard 2 after 3 attempts: store unavailable \(simulated outage/);

      store.heal();
      assert.equal(await replayFailedShards(pipeline.connection, pipeline.prefix, 'long'), 1);
      const finalized = await pipeline.waitForStatus(
        'long',
        'finalized after replay',
        (s) => s.state === 'finalized',
      );
      assert.deepEqual(finalized.deadLetters, [], 'the dead-letter entry is cleared');
      assert.equal(finalized.queue.failed, 0);
      assert.equal(finalized.snapshot?.storedCount, PASSAGES);
      await assertStoredExactlyOnce(store, 'long', ids);
    } finally {
      await pipeline.close();
      await store.close();
    }
  });
});
