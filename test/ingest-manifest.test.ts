/** IngestManifest's write claims against a private redis-server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { IngestManifest } from '@embedline/queue';
import { PrivateRedis } from './support/private-redis.ts';

describe('IngestManifest: who may append a shard', () => {
  let redis: PrivateRedis;
  let client: Redis;
  before(async () => {
    redis = await PrivateRedis.start();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.dispose();
  });

  test('the append decision is made once per ingest, kept for its re-runs, and reset by a new corpus', async () => {
    const manifest = new IngestManifest(client, 'decide');
    let asked = 0;
    const empty = (value: boolean) => async () => (asked++, value);
    await manifest.begin('docs', 'a'.repeat(32), 'v1.tsv');
    assert.equal(await manifest.appendFirstWrites('docs', empty(true)), true);
    // A re-run of the same ingest finds points stored by now: the recorded decision stands.
    await manifest.begin('docs', 'a'.repeat(32), 'v1.tsv');
    assert.equal(await manifest.appendFirstWrites('docs', empty(false)), true);
    assert.equal(asked, 1);
    await manifest.begin('docs', 'b'.repeat(32), 'v2.tsv');
    assert.equal(await manifest.appendFirstWrites('docs', empty(false)), false);
    assert.equal(asked, 2);
  });

  test('a shard is claimed for a first write exactly once, across concurrent claimants; a new corpus starts over', async () => {
    const manifest = new IngestManifest(client, 'claims');
    await manifest.begin('docs', 'a'.repeat(32), 'v1.tsv');
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => manifest.claimFirstWrite('docs', 'shard-3')),
    );
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal(await manifest.claimFirstWrite('docs', 'shard-4'), true);
    assert.deepEqual(await manifest.list(), ['docs'], 'the claims set is not listed as an ingest');
    await manifest.begin('docs', 'b'.repeat(32), 'v2.tsv');
    assert.equal(await manifest.claimFirstWrite('docs', 'shard-3'), true);
  });

  test("the producer's heartbeat writes its counts so far, but not over the final ones of a sealed ingest", async () => {
    const manifest = new IngestManifest(client, 'heartbeat');
    await manifest.begin('docs', 'a'.repeat(32), 'v1.tsv');
    await manifest.markProducerAlive('docs', { acceptedRecords: 100, rejectedRecords: 1, totalShards: 1 });
    const enqueuing = await manifest.read('docs');
    assert.deepEqual(
      [enqueuing?.acceptedRecords, enqueuing?.totalShards, enqueuing?.sealed],
      [100, 1, false],
    );
    assert.ok((enqueuing?.producerSeenAt ?? 0) > 0);
    await manifest.setTotals('docs', {
      acceptedRecords: 500,
      rejectedRecords: 2,
      totalShards: 5,
      sealed: true,
    });
    // A re-run (after a failed finalize) reads the corpus again from the start.
    await manifest.markProducerAlive('docs', { acceptedRecords: 100, rejectedRecords: 1, totalShards: 1 });
    const sealed = await manifest.read('docs');
    assert.deepEqual([sealed?.acceptedRecords, sealed?.totalShards, sealed?.sealed], [500, 5, true]);
  });

  test('shards the store recorded are restored as done once, their records kept apart from those embedded here', async () => {
    const manifest = new IngestManifest(client, 'restore');
    await manifest.begin('docs', 'a'.repeat(32), 'v1.tsv');
    await manifest.markShardDone('docs', 'shard-0', 100);
    await manifest.restoreDoneShards(
      'docs',
      new Map([
        ['shard-0', 100],
        ['shard-1', 100],
        ['shard-2', 40],
      ]),
    );
    await manifest.restoreDoneShards('docs', new Map([['shard-1', 100]])); // a second re-run restores nothing twice
    const snapshot = await manifest.read('docs');
    assert.equal(snapshot?.doneShards, 3);
    assert.equal(snapshot?.doneRecords, 240);
    assert.equal(snapshot?.restoredRecords, 140);
    assert.deepEqual([...(await manifest.doneShardKeys('docs'))].sort(), ['shard-0', 'shard-1', 'shard-2']);
  });
});
