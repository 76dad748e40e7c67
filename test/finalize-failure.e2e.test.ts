/**
 * Finalize runs, and fails, after every shard is done. Real parts but for the failure itself: a private
 * redis-server, BullMQ, the ONNX encoder (tiny fixture model), LanceDB in a temp folder behind a store whose
 * finalize waits for the test, then fails as a store out of disk would.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Encoder } from '@embedline/encoder';
import { LanceDbStore } from '@embedline/store';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { FlakyStore } from './support/flaky-store.ts';
import { InProcessPipeline } from './support/in-process-pipeline.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { disposeSuiteResources, startSuiteResources } from './support/suite-resources.ts';
import { runApp, waitFor } from './support/processes.ts';


/** A store whose finalize waits until `release()`, then fails until `healFinalize()`. */
class FailingFinalizeStore extends FlakyStore {
  private released!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.released = resolve));
  private finalizeHealed = false;

  release(): void {
    this.released();
  }

  healFinalize(): void {
    this.finalizeHealed = true;
  }

  override async finalize(name: string): Promise<void> {
    await this.gate;
    if (!this.finalizeHealed) throw new Error('No space left on device (simulated)');
    await super.finalize(name);
  }
}

describe('finalize fails', { timeout: 300_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  let encoder: Encoder;
  before(async () => ({ redis, dir, encoder } = await startSuiteResources('finalize')));
  after(() => disposeSuiteResources({ redis, dir, encoder }));

  /** A 200-passage corpus (2 shards) for `collection`, one worker on a store whose finalize waits, then fails. */
  function scenario(collection: string) {
    const corpus = join(dir, `${collection}.tsv`);
    writeTsvCorpus(corpus, 200);
    const store = new FailingFinalizeStore(new LanceDbStore({ uri: join(dir, collection) }), () => false);
    const pipeline = new InProcessPipeline(redis.url);
    pipeline.startWorkers({ encoder, store, concurrency: 1 });
    const ingest = () =>
      pipeline.ingest({
        corpus,
        collection,
        shardSize: 100,
        store,
      });
    const close = async () => {
      store.release(); // a finalize still held would hold the worker's close
      await pipeline.close();
      await store.close();
    };
    return { store, pipeline, ingest, close };
  }

  test('status says finalizing while it runs, and finalize-failed with its error once it has failed', async () => {
    const { store, pipeline, ingest, close } = scenario('shown');
    const cli = () =>
      runApp('producer', ['status', 'shown'], {
        EMBEDLINE_REDIS_URL: redis.url,
        EMBEDLINE_QUEUE_PREFIX: pipeline.prefix,
      });
    try {
      await ingest();
      const running = await pipeline.waitForStatus(
        'shown',
        'finalize running',
        (s) => s.finalize?.state === 'active',
        60_000,
      );
      assert.equal(running.state, 'finalizing');
      assert.equal(running.snapshot?.doneShards, 2);
      assert.match((await cli()).output, /shown: finalizing\n[\s\S]*finalize {5}running since \d{4}-/);

      store.release();
      const failed = await pipeline.waitForStatus(
        'shown',
        'finalize failed',
        (s) => s.finalize?.state === 'failed',
        60_000,
      );
      assert.equal(failed.state, 'finalize-failed');
      assert.equal(failed.finalize?.error, 'No space left on device (simulated)');
      const shown = await cli();
      assert.equal(shown.code, 0, shown.output);
      assert.match(shown.output, /shown: finalize-failed/);
      assert.match(
        shown.output,
        /FAILED {7}finalize: No space left on device \(simulated\) \(fix the cause, then re-run the same ingest: it finalizes again\)/,
      );
    } finally {
      await close();
    }
  });

  test('re-running the same ingest after a failed finalize embeds nothing again and finalizes, counting every passage', async () => {
    const { store, pipeline, ingest, close } = scenario('rerun');
    try {
      await ingest();
      store.release();
      await waitFor(
        'the failed finalize',
        async () =>
          pipeline.log.error.some((m) => /^finalize .*: No space left on device/.test(m)) || undefined,
      );
      store.healFinalize();
      const again = await ingest();
      assert.equal(again.skippedShards, 2, 'no shard is embedded again');
      assert.equal(again.enqueuedShards, 0);
      const finalized = await pipeline.waitForStatus(
        'rerun',
        'finalized, or finalize failed again',
        (s) => s.snapshot?.finalizedAt !== undefined || pipeline.log.error.length > 1,
        60_000,
      );
      assert.deepEqual(pipeline.log.error.slice(1), [], 'finalize failed only the first time');
      assert.equal(finalized.snapshot?.storedCount, 200);
    } finally {
      await close();
    }
  });
});
