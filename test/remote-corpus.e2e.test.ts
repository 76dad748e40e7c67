/**
 * Workers that read the corpus over http(s): the producer reads the local file, the shard jobs name
 * a URL serving the same file and each worker fetches only its shard's bytes with a Range request.
 * Real parts: a loopback node:http file server, a private redis-server, BullMQ, the ONNX encoder
 * (tiny fixture model) and LanceDB.
 *
 * A server that ignores Range is refused, not worked around (see libs/pipeline/src/remote-range.ts):
 * `ingest` checks the URL before enqueuing anything, and a shard that meets such a server later fails
 * at once (no retries) into the dead-letter queue with an error that says what to do.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RejectedRecord } from '@embedline/corpus';
import type { Encoder } from '@embedline/encoder';
import { RemoteCorpusError, planShards, replayFailedShards, type IngestOptions } from '@embedline/pipeline';
import { LanceDbStore } from '@embedline/store';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { InProcessPipeline } from './support/in-process-pipeline.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { disposeSuiteResources, startSuiteResources } from './support/suite-resources.ts';
import { RangeServer } from './support/range-server.ts';
import { readAllPoints, repeated } from './support/stored-points.ts';

const SHARD_SIZE = 100;

describe('corpus served over http(s) with Range requests', { timeout: 300_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  let encoder: Encoder;
  let corpus: string;
  let acceptedIds: string[];
  before(async () => {
    ({ redis, dir, encoder } = await startSuiteResources('remote'));
    corpus = join(dir, 'collection.tsv');
    acceptedIds = writeCorpusWithBadLines(corpus);
  });
  after(() => disposeSuiteResources({ redis, dir, encoder }));

  /** 700 good passages and three bad lines deep inside shards (lines 151, 422 and 703 of the file). */
  function writeCorpusWithBadLines(path: string): string[] {
    const entries = writeTsvCorpus(path, 700);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    lines.splice(150, 0, 'no separator on this line');
    lines.splice(421, 0, '90001\t   ');
    lines.splice(702, 0, 'abc\tnon-numeric id');
    writeFileSync(path, `${lines.join('\n')}\n`);
    return entries.map(([id]) => id);
  }

  function ingest(
    pipeline: InProcessPipeline,
    store: LanceDbStore,
    collection: string,
    extra: Partial<IngestOptions> = {},
  ) {
    const rejects: RejectedRecord[] = [];
    const done = pipeline.ingest({
      corpus,
      collection,
      shardSize: SHARD_SIZE,
      store,
      onReject: (r) => void rejects.push(r),
      ...extra,
    });
    return done.then((summary) => ({ summary, rejects }));
  }

  /** `[line, kind]` of every reject the workers logged for a collection's shards. */
  function workerRejects(pipeline: InProcessPipeline, collection: string): [number, string][] {
    return pipeline.log.info
      .filter((m) => m.includes(` of ${collection}: `) && m.includes('rejected, as at ingest'))
      .flatMap((m) =>
        [...m.matchAll(/line (\d+) ([a-z-]+)/g)].map((g): [number, string] => [Number(g[1]), g[2]!]),
      )
      .sort((a, b) => a[0] - b[0]);
  }

  test('each worker fetches only its shard range; the result equals a local-path ingest; rejects name their true lines', async () => {
    const server = await RangeServer.serve(corpus, { honourRange: true });
    const store = new LanceDbStore({ uri: join(dir, 'equal') });
    const pipeline = new InProcessPipeline(redis.url);
    const exportDir = join(dir, 'export');
    pipeline.startWorkers({ encoder, store, concurrency: 2, exportDir });
    try {
      const local = await ingest(pipeline, store, 'local');
      await pipeline.waitForStatus('local', 'finalized', (s) => s.state === 'finalized');
      const remote = await ingest(pipeline, store, 'remote', { corpusUrl: server.url });
      await pipeline.waitForStatus('remote', 'finalized', (s) => s.state === 'finalized');
      assert.equal(remote.summary.acceptedRecords, 700);
      assert.equal(remote.summary.enqueuedShards, 7);

      // The same points, with the same vectors, as from the local path.
      const fromPath = await readAllPoints(store, 'local');
      const fromUrl = await readAllPoints(store, 'remote');
      assert.deepEqual(repeated(fromUrl.ids), []);
      assert.deepEqual([...fromUrl.ids].sort(), [...acceptedIds].sort());
      assert.deepEqual([...fromUrl.ids].sort(), [...fromPath.ids].sort());
      for (const [id, vector] of fromPath.vectors)
        assert.deepEqual(fromUrl.vectors.get(id), vector, `vector of ${id}`);

      // --export: an Arrow IPC and a Parquet file per shard (their content: libs/pipeline/src/export-shard.test.ts).
      const exported = readdirSync(join(exportDir, 'remote'));
      assert.equal(exported.filter((f) => f.endsWith('.arrow')).length, 7, exported.join(' '));
      assert.equal(exported.filter((f) => f.endsWith('.parquet')).length, 7, exported.join(' '));

      // One probe at ingest, then exactly one Range request per shard, for exactly its bytes.
      const planned: string[] = [];
      // (The jobs ingest enqueued, as planned: each names the URL, its byte range and its first line.)
      for await (const shard of planShards(corpus, {
        shardSize: SHARD_SIZE,
        inline: false,
        uri: server.url,
      })) {
        assert.equal(shard.source.kind, 'range');
        if (shard.source.kind !== 'range') continue;
        assert.equal(shard.source.uri, server.url);
        assert.ok(shard.source.firstLine! >= 1);
        planned.push(`bytes=${shard.source.start}-${shard.source.end - 1}`);
      }
      assert.equal(server.requests[0]?.range, 'bytes=0-0', 'ingest checks the URL first');
      const fetched = server.requests.slice(1);
      assert.deepEqual(fetched.map((r) => r.range).sort(), [...planned].sort());
      assert.ok(fetched.every((r) => r.status === 206));
      // The ranges partition the file (its first line is a record): no byte is fetched twice.
      assert.equal(
        fetched.reduce((sum, r) => sum + r.bytes, 0),
        statSync(corpus).size,
      );

      // Worker-side rejects carry the true line, on both paths, equal to what the producer reported.
      const expected: [number, string][] = [
        [151, 'no-separator'],
        [422, 'empty-text'],
        [703, 'bad-id'],
      ];
      assert.deepEqual(
        local.rejects.map((r) => [r.line, r.kind]),
        expected,
      );
      assert.deepEqual(
        remote.rejects.map((r) => [r.line, r.kind]),
        expected,
      );
      assert.deepEqual(workerRejects(pipeline, 'local'), expected, pipeline.log.info.join('\n'));
      assert.deepEqual(workerRejects(pipeline, 'remote'), expected, pipeline.log.info.join('\n'));
    } finally {
      await pipeline.close();
      await store.close();
      await server.close();
    }
  });

  test('a server that ignores Range: ingest refuses the URL with a clear error before enqueuing anything', async () => {
    const server = await RangeServer.serve(corpus, { honourRange: false });
    const store = new LanceDbStore({ uri: join(dir, 'norange') });
    const pipeline = new InProcessPipeline(redis.url);
    try {
      await assert.rejects(
        ingest(pipeline, store, 'norange', { corpusUrl: server.url }),
        (error: unknown) =>
          error instanceof RemoteCorpusError &&
          !error.retryable &&
          error.message.includes(server.url) &&
          /ignores Range requests .* got the whole file with 200 OK.*--inline/.test(error.message),
      );
      const status = await pipeline.status('norange');
      assert.equal(status.snapshot, undefined, 'no ingest recorded');
      assert.deepEqual([status.queue.waiting, status.queue.delayed], [0, 0], 'nothing enqueued');
    } finally {
      await pipeline.close();
      await store.close();
      await server.close();
    }
  });

  test('a server that stops honouring Range after ingest: shards fail at once into the dead-letter queue; replay completes once it is fixed', async () => {
    const server = await RangeServer.serve(corpus, { honourRange: true });
    const store = new LanceDbStore({ uri: join(dir, 'reconfigured') });
    const pipeline = new InProcessPipeline(redis.url);
    try {
      await ingest(pipeline, store, 'reconfigured', { corpusUrl: server.url });
      server.honourRange = false;
      pipeline.startWorkers({ encoder, store, concurrency: 2 });
      const stalled = await pipeline.waitForStatus(
        'reconfigured',
        'every shard dead-lettered',
        (s) => s.deadLetters.length === 7,
      );
      for (const dead of stalled.deadLetters) {
        assert.equal(dead.attempts, 1, 'not retried: retrying cannot help');
        assert.match(dead.error, /ignores Range requests/);
      }
      server.honourRange = true;
      assert.equal(await replayFailedShards(pipeline.connection, pipeline.prefix, 'reconfigured'), 7);
      const finalized = await pipeline.waitForStatus(
        'reconfigured',
        'finalized after replay',
        (s) => s.state === 'finalized',
      );
      assert.equal(finalized.snapshot?.storedCount, 700);
      const { ids } = await readAllPoints(store, 'reconfigured');
      assert.deepEqual([...ids].sort(), [...acceptedIds].sort());
    } finally {
      await pipeline.close();
      await store.close();
      await server.close();
    }
  });
});
