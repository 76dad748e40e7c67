import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { CorpusError } from '@embedline/corpus';
import {
  IngestManifest,
  QUEUES,
  createRedisConnection,
  finalizeJobId,
  queueOptions,
  sealJobId,
  shardKey,
  type RedisClient,
} from '@embedline/queue';
import { PrivateRedis } from '../../../test/support/private-redis.ts';
import { fingerprintCorpus } from './corpus-fingerprint.ts';
import { ingestCorpus, type IngestOptions } from './ingest-corpus.ts';
import { storeWithLedger } from './testing/ledger-store.ts';

/** Fails the test on any use: a corpus that cannot be read must not reach Redis or the store. */
function untouchable<T>(what: string): T {
  return new Proxy({} as object, {
    get: (_target, property) => {
      throw new Error(`${what} used (${String(property)}) for a corpus that cannot be read`);
    },
  }) as T;
}

describe('ingestCorpus: a corpus that cannot be read fails first, naming it, with nothing written to Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const options = (corpus: string, format?: string): IngestOptions => ({
    corpus,
    format,
    collection: 'unreadable',
    shardSize: 10,
    inline: false,
    highWaterMark: 10,
    addChunk: 5,
    connection: untouchable<RedisClient>('Redis'),
    prefix: 'ingest-check',
    store: untouchable<IngestOptions['store']>('the store'),
  });

  const folder = join(dir, 'folder.tsv');
  mkdirSync(folder);
  const cases: [string, IngestOptions, RegExp][] = [
    ['no such file', options(join(dir, 'missing.tsv')), /missing\.tsv: no such file$/],
    ['a folder', options(folder), /folder\.tsv: not a regular file$/],
    [
      'a name of no known format',
      options(file('corpus.csv', '1\ta\n')),
      /corpus\.csv: cannot tell the format from the file name/,
    ],
    [
      'an unknown format option',
      options(file('corpus.txt', '1\ta\n'), 'csv'),
      /corpus\.txt: unknown format "csv"/,
    ],
    ['a .gz that is not gzip', options(file('corpus.tsv.gz', '1\ta\n')), /corpus\.tsv\.gz: /],
  ];
  for (const [name, ingest, message] of cases) {
    test(name, async () => {
      await assert.rejects(ingestCorpus(ingest), (error: Error) => {
        assert.ok(error instanceof CorpusError, `${error.name}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('ingestCorpus beside another run of the same ingest', { timeout: 60_000 }, () => {
  test('a shard finished while this run waited is not added again (it would be embedded again)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-twice-'));
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    const prefix = 'ingest-twice';
    const shards = new Queue(QUEUES.shards, queueOptions(connection, prefix));
    try {
      const corpus = join(dir, 'corpus.tsv');
      writeFileSync(corpus, Array.from({ length: 50 }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
      const fingerprint = await fingerprintCorpus(corpus);
      let held!: () => void;
      const heldBack = new Promise<void>((resolve) => (held = resolve));
      const ingest = ingestCorpus({
        corpus,
        collection: 'twice',
        shardSize: 10,
        inline: false,
        // One job at a time: the run adds shard 0, then waits for a worker to take it.
        highWaterMark: 1,
        addChunk: 1,
        backpressurePollMs: 20,
        heartbeatMs: 20,
        connection,
        prefix,
        store: storeWithLedger(),
        onProgress: (progress) => progress.waitingForBackpressure && held(),
      });
      ingest.catch(() => undefined); // awaited below; a run cut short by the test's end is not an unhandled rejection
      await heldBack;
      // Meanwhile workers finish shards 1-4 from the jobs of another run of this ingest, and shard 0 is taken.
      const manifest = new IngestManifest(connection, prefix);
      for (let index = 1; index < 5; index++)
        await manifest.markShardDone('twice', shardKey(fingerprint, index), 10);
      // Held back, the producer still says it is alive (status tells it from one that died).
      const seen = async () => (await manifest.read('twice'))?.producerSeenAt ?? 0;
      const before = await seen();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(before > 0 && (await seen()) > before, 'heartbeats while held back');
      const soFar = await manifest.read('twice');
      assert.ok((soFar?.acceptedRecords ?? 0) >= 10 && soFar?.sealed === false, 'with the counts so far');
      const [first] = await shards.getWaiting();
      await first!.remove();
      // Without the check the run adds shard 1 and waits for a worker to take it, for ever.
      const summary = await Promise.race([
        ingest,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the run is still adding shards that are done')), 10_000).unref(),
        ),
      ]);
      assert.equal(summary.shards, 5);
      assert.equal(summary.enqueuedShards, 1, 'only shard 0 was added');
      assert.equal(summary.skippedShards, 4);
      const waiting = await shards.getWaiting();
      assert.deepEqual(
        waiting.map((job) => job.id),
        [sealJobId('twice', fingerprint)],
        'no shard job waits, only the seal',
      );
    } finally {
      await shards.close();
      connection.disconnect(); // a run still waiting fails on it and stops
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ingestCorpus adds its first jobs one at a time', { timeout: 60_000 }, () => {
  test('chunks of 1, 2, 4, ... up to addChunk: workers start on shard 0 before the rest of the first chunk is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-slow-start-'));
    const redis = await PrivateRedis.start();
    const connection = createRedisConnection(redis.url);
    try {
      const corpus = join(dir, 'corpus.tsv');
      writeFileSync(corpus, Array.from({ length: 300 }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
      const enqueued: number[] = [];
      const summary = await ingestCorpus({
        corpus,
        collection: 'slow-start',
        shardSize: 10,
        inline: false,
        highWaterMark: 100,
        addChunk: 8,
        connection,
        prefix: 'slow-start',
        store: storeWithLedger(),
        onProgress: (progress) => {
          if (progress.enqueuedShards !== enqueued.at(-1)) enqueued.push(progress.enqueuedShards);
        },
      });
      assert.equal(summary.enqueuedShards, 30);
      // Chunks of 1, 2, 4, 8, 8, then the 7 left.
      assert.deepEqual(enqueued, [1, 3, 7, 15, 23, 30]);
    } finally {
      await connection.quit();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ingestCorpus re-run with another shard size', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-resized-'));
  const corpus = join(dir, 'corpus.tsv');
  writeFileSync(corpus, Array.from({ length: 50 }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
  const redis = privateRedisSuite(dir);
  /** Runs that reached the point where the rejects file is opened (a refused run leaves it as it was). */
  let readsBegun = 0;
  const run = (prefix: string, shardSize: number, ledger = new Map<string, number>()) =>
    ingestCorpus({
      beforeRead: async () => void (readsBegun += 1),
      corpus,
      collection: 'resized',
      shardSize,
      inline: false,
      highWaterMark: 100,
      addChunk: 10,
      connection: redis.connection,
      prefix,
      store: storeWithLedger(ledger),
    });

  test('is refused, naming the shard and both sizes, before anything is written to Redis (from the store)', async () => {
    const fingerprint = await fingerprintCorpus(corpus);
    // A first run with shards of 10 stored shards 0 and 1 (passages 0-19); Redis lost its record of it.
    const ledger = new Map([
      [shardKey(fingerprint, 0), 10],
      [shardKey(fingerprint, 1), 10],
    ]);
    await assert.rejects(
      run('ledger', 20, ledger),
      /corpus\.tsv: shard 0 of this corpus is stored in resized with 10 passages, but a shard size of 20 makes it 20: this ingest began with another shard size .*; re-run it with that one$/,
    );
    const keys = (await redis.connection.keys('ledger:*')).filter((key) => !key.endsWith(':meta'));
    assert.deepEqual(keys, [], 'no ingest recorded, no job added');
    // With the first run's size it resumes: shards 0 and 1 are skipped.
    const summary = await run('ledger', 10, ledger);
    assert.equal(summary.skippedShards, 2);
    assert.equal(summary.enqueuedShards, 3);
  });

  test('of a begun ingest is refused from Redis before the corpus is read, so the rejects file is left as it was', async () => {
    assert.equal((await run('begun', 10)).enqueuedShards, 5);
    const manifest = new IngestManifest(redis.connection, 'begun');
    assert.equal((await manifest.read('resized'))?.shardSize, 10);
    const reads = readsBegun;
    await assert.rejects(
      run('begun', 20),
      /corpus\.tsv: the ingest of this corpus into resized began with a shard size of 10, but this run asks for 20 .*; re-run it with 10$/,
    );
    assert.equal(readsBegun, reads, 'the refused run never opened the rejects file');
    assert.equal((await run('begun', 10)).skippedShards, 0, 'the same size resumes (nothing is done yet)');
  });
});

describe('ingestCorpus re-run with another title field', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-titles-'));
  const redis = privateRedisSuite(dir);
  const corpus = join(dir, 'corpus.jsonl');
  writeFileSync(
    corpus,
    Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ _id: `d${i}`, title: `Title ${i}`, text: `passage ${i}` }),
    ).join('\n'),
  );
  /** Runs that reached the point where the rejects file is opened (a refused run leaves it as it was). */
  let readsBegun = 0;
  const run = (prefix: string, titleField: string | undefined, ledger = new Map<string, number>()) =>
    ingestCorpus({
      beforeRead: async () => void (readsBegun += 1),
      corpus,
      collection: 'titled',
      titleField,
      shardSize: 10,
      inline: false,
      highWaterMark: 100,
      addChunk: 10,
      connection: redis.connection,
      prefix,
      store: storeWithLedger(ledger),
    });
  const TITLE = 'title \\+ " " \\+ text \\(title field "title"\\)';

  test('an ingest begun with a title field: a re-run without one, or with another, is refused; the manifest shows it', async () => {
    const first = await run('begun', 'title');
    assert.equal(first.enqueuedShards, 3);
    assert.equal(first.untitledRecords, 0);
    const shards = new Queue(QUEUES.shards, queueOptions(redis.connection, 'begun'));
    try {
      const jobs = (await shards.getWaiting()).filter((job) => job.name === 'shard');
      assert.deepEqual(
        jobs.map((job) => (job.data as { titleField?: string }).titleField),
        ['title', 'title', 'title'],
        'every shard job carries the title field',
      );
    } finally {
      await shards.close();
    }
    const manifest = new IngestManifest(redis.connection, 'begun');
    assert.equal((await manifest.read('titled'))?.titleField, 'title');
    await assert.rejects(
      run('begun', undefined),
      new RegExp(
        `corpus\\.jsonl: the ingest of this corpus into titled began embedding ${TITLE}, but this run embeds the text alone: ` +
          'the title setting is part of what defines an ingest \\(every shard is embedded the same way\\); ' +
          're-run it with --title-field title, or ingest into another collection$',
      ),
    );
    await assert.rejects(
      run('begun', 'heading'),
      /began embedding title .*, but this run embeds title \+ " " \+ text \(title field "heading"\)/,
    );
    // The same setting resumes.
    const again = await run('begun', 'title');
    assert.equal(again.alreadyFinalized, false);
    assert.equal((await manifest.read('titled'))?.titleField, 'title');
  });

  test('an ingest finalized embedding the text alone: a re-run with a title field is refused, not "already finalized"', async () => {
    const fingerprint = await fingerprintCorpus(corpus);
    const finalize = new Queue(QUEUES.finalize, queueOptions(redis.connection, 'final'));
    const workerConnection = createRedisConnection(redis.url);
    const eventsConnection = createRedisConnection(redis.url);
    const worker = new Worker(
      QUEUES.finalize,
      async () => undefined,
      queueOptions(workerConnection, 'final'),
    );
    const events = new QueueEvents(QUEUES.finalize, queueOptions(eventsConnection, 'final'));
    try {
      // A finalize job of this corpus, completed, as a run that embedded the text alone leaves it.
      const data = { collection: 'titled', fingerprint, acceptedRecords: 30, totalShards: 3 };
      await events.waitUntilReady();
      const job = await finalize.add('finalize', data, { jobId: finalizeJobId('titled', fingerprint) });
      await job.waitUntilFinished(events);
      await assert.rejects(
        run('final', 'title'),
        new RegExp(
          'corpus\\.jsonl: the ingest of this corpus into titled is finalized embedding the text alone, ' +
            `but this run embeds ${TITLE}: .*; to embed it as ${TITLE}, ingest it into another collection$`,
        ),
      );
      assert.equal((await run('final', undefined)).alreadyFinalized, true);
    } finally {
      await Promise.all([worker.close(), events.close(), finalize.close()]);
      workerConnection.disconnect();
      eventsConnection.disconnect();
    }
  });

  test("after Redis lost the ingest, the store's ledger tells how its shards were embedded; nothing is written to Redis", async () => {
    const fingerprint = await fingerprintCorpus(corpus);
    const readsBefore = readsBegun;
    const textAlone = new Map([[shardKey(fingerprint, 0), 10]]);
    await assert.rejects(
      run('lost', 'title', textAlone),
      new RegExp(
        `corpus\\.jsonl: shard ${shardKey(fingerprint, 0)} of this corpus is stored in titled embedding the text alone, ` +
          `but this run embeds ${TITLE}: .*; re-run it with no --title-field, or ingest into another collection$`,
      ),
    );
    const titled = new Map([[shardKey(fingerprint, 0, 'title'), 10]]);
    await assert.rejects(
      run('lost', undefined, titled),
      /stored in titled embedding title \+ " " \+ text \(a --title-field\), but this run embeds the text alone: .*; re-run it with the first run's --title-field, or ingest into another collection$/,
    );
    await assert.rejects(
      run('lost', 'heading', titled),
      /from another title field than "heading", but this run embeds title \+ " " \+ text \(title field "heading"\)/,
    );
    const keys = (await redis.connection.keys('lost:*')).filter((key) => !key.endsWith(':meta'));
    assert.deepEqual(keys, [], 'no ingest recorded, no job added');
    assert.equal(readsBegun, readsBefore, 'the rejects file is not opened');
    // With the first run's field it resumes: shard 0 is skipped.
    const summary = await run('lost', 'title', titled);
    assert.equal(summary.skippedShards, 1);
    assert.equal(summary.enqueuedShards, 2);
  });
});

/**
 * A private redis-server for the enclosing describe, started before its tests and stopped after them (and `dir`
 * removed): `connection` and `url` are valid inside the tests.
 */
function privateRedisSuite(dir: string): { readonly connection: RedisClient; readonly url: string } {
  const suite = {} as { connection: RedisClient; url: string; server: PrivateRedis };
  before(async () => {
    suite.server = await PrivateRedis.start();
    suite.url = suite.server.url;
    suite.connection = createRedisConnection(suite.url);
  });
  after(async () => {
    await suite.connection.quit();
    await suite.server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return suite;
}
