import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Queue } from 'bullmq';
import {
  createRedisConnection,
  deadLetterJobId,
  QUEUES,
  queueOptions,
  type IngestSnapshot,
} from '@embedline/queue';
import { PrivateRedis } from '../../../test/support/private-redis.ts';
import { ingestCorpus } from './ingest-corpus.ts';
import { producerSilence, readIngestStatus, throughput } from './ingest-status.ts';
import { storeWithLedger } from './testing/ledger-store.ts';

const snapshot = (fields: Partial<IngestSnapshot>): IngestSnapshot => ({
  collection: 'c',
  fingerprint: 'f',
  corpus: 'corpus.tsv',
  acceptedRecords: 10_000,
  rejectedRecords: 0,
  totalShards: 10,
  sealed: true,
  doneShards: 0,
  doneRecords: 0,
  restoredRecords: 0,
  startedAt: 0,
  ...fields,
});

describe('status throughput', () => {
  test('while shards remain: the rate since the ingest began, and the time left at that rate', () => {
    const running = snapshot({ doneShards: 4, doneRecords: 4000, firstDoneAt: 1000, lastDoneAt: 3900 });
    assert.deepEqual(throughput(running, 4000), { passagesPerSecond: 1000, etaSeconds: 6 });
  });

  test('no ETA before the producer has enqueued every shard (the total is not known yet)', () => {
    const enqueuing = snapshot({
      sealed: false,
      doneShards: 2,
      doneRecords: 2000,
      firstDoneAt: 1000,
      lastDoneAt: 2000,
    });
    assert.deepEqual(throughput(enqueuing, 2000), { passagesPerSecond: 1000, etaSeconds: undefined });
  });

  test('once every shard is done: the rate up to the last shard, however long ago, and no ETA', () => {
    const done = snapshot({ doneShards: 10, doneRecords: 10_000, firstDoneAt: 1000, lastDoneAt: 5000 });
    const aDayLater = 5000 + 24 * 3600 * 1000;
    assert.deepEqual(throughput(done, aDayLater), { passagesPerSecond: 2000, etaSeconds: undefined });
  });

  test('shards the store had recorded before a re-run (Redis lost the manifest) count as done, not in the rate', () => {
    const resumed = snapshot({
      doneShards: 6,
      doneRecords: 6000,
      restoredRecords: 4000,
      firstDoneAt: 1000,
      lastDoneAt: 1900,
    });
    assert.deepEqual(throughput(resumed, 2000), { passagesPerSecond: 1000, etaSeconds: 4 });
  });

  test('nothing before two shards have completed at different times', () => {
    assert.deepEqual(throughput(undefined), {});
    assert.deepEqual(
      throughput(snapshot({ doneRecords: 1000, firstDoneAt: 1000, lastDoneAt: 1000 }), 2000),
      {},
    );
  });
});

describe('status: a producer that stopped while enqueuing', () => {
  test('is named once it has been silent for 30 s (six heartbeats); not before, and not once the ingest is sealed', () => {
    const enqueuing = snapshot({ sealed: false, producerSeenAt: 10_000 });
    assert.deepEqual(producerSilence(enqueuing, 10_000 + 29_000), {});
    assert.deepEqual(producerSilence(enqueuing, 10_000 + 300_000), { producerSilentSeconds: 300 });
    assert.deepEqual(producerSilence({ ...enqueuing, sealed: true }, 10_000 + 300_000), {});
    assert.deepEqual(
      producerSilence(snapshot({ sealed: false }), 10_000 + 300_000),
      {},
      'a manifest from before heartbeats',
    );
  });
});

describe('status queue counts', { timeout: 60_000 }, () => {
  test("count this ingest's shard jobs only: not another collection's, nor the seal", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-status-counts-'));
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    const store = storeWithLedger();
    try {
      const ingest = async (collection: string, passages: number) => {
        const corpus = join(dir, `${collection}.tsv`);
        writeFileSync(corpus, Array.from({ length: passages }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
        const common = {
          inline: false,
          highWaterMark: 100,
          addChunk: 10,
          connection,
          prefix: 'counts',
          store,
        };
        return ingestCorpus({ corpus, collection, shardSize: 10, ...common });
      };
      assert.equal((await ingest('docs', 30)).enqueuedShards, 3);
      assert.equal((await ingest('docs-v2', 50)).enqueuedShards, 5);
      assert.deepEqual((await readIngestStatus(connection, 'counts', 'docs')).queue, {
        waiting: 3,
        active: 0,
        delayed: 0,
        failed: 0,
      });
      assert.equal((await readIngestStatus(connection, 'counts', 'docs-v2')).queue.waiting, 5);
      assert.equal((await readIngestStatus(connection, 'counts', 'none')).queue.waiting, 0);
      // Dead letters: each collection sees its own, though "docs" is a prefix of "docs-v2".
      const dead = new Queue(QUEUES.deadLetter, queueOptions(connection, 'counts'));
      try {
        for (const collection of ['docs', 'docs-v2', 'docs-v2']) {
          const jobId = `shard-${collection}-${'ab'.repeat(8)}-000000${(await dead.count()) + 1}`;
          const data = {
            jobId,
            collection,
            shardIndex: 1,
            attempts: 3,
            error: 'store down',
            failedAt: new Date(0).toISOString(),
          };
          await dead.add('dead', data, { jobId: deadLetterJobId(jobId) });
        }
      } finally {
        await dead.close();
      }
      assert.equal((await readIngestStatus(connection, 'counts', 'docs')).deadLetters.length, 1);
      assert.equal((await readIngestStatus(connection, 'counts', 'docs-v2')).deadLetters.length, 2);
    } finally {
      await connection.quit();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
