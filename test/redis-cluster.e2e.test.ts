/**
 * The pipeline and the API on a Redis Cluster (three masters of the test's own, no replicas): the apps
 * run as their own processes with EMBEDLINE_REDIS_CLUSTER=true, seed URLs and a hash-tag queue prefix,
 * exactly as a deployment would; and they refuse, in one line, settings a cluster cannot work with.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { IngestManifest, createRedisConnection, scanKeys } from '@embedline/queue';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { PrivateRedisCluster } from './support/private-redis-cluster.ts';
import { runApp, startApp, stopApp, waitFor } from './support/processes.ts';
import { assertStoredExactlyOnce } from './support/stored-points.ts';

const READ_KEY = 'cluster-read-key-0123456789';
const ADMIN_KEY = 'cluster-admin-key-0123456789';
const COLLECTION = 'docs';
const PASSAGES = 1000;
const SHARD_SIZE = 100;

describe('Redis Cluster', { timeout: 600_000 }, () => {
  let cluster: PrivateRedisCluster;
  let dir: string;
  let env: Record<string, string>;
  let corpus: string;
  before(async () => {
    cluster = await PrivateRedisCluster.start(3);
    dir = mkdtempSync(join(tmpdir(), 'embedline-cluster-e2e-'));
    corpus = join(dir, 'docs.tsv');
    env = {
      EMBEDLINE_REDIS_URL: cluster.url,
      EMBEDLINE_REDIS_CLUSTER: 'true',
      EMBEDLINE_QUEUE_PREFIX: `{e2e-cluster-${randomUUID().slice(0, 8)}}`,
      EMBEDLINE_STORE: 'lancedb',
      EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
      EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
      EMBEDLINE_SHARD_SIZE: String(SHARD_SIZE),
      EMBEDLINE_HIGH_WATER_MARK: '4',
      EMBEDLINE_LOCK_DURATION_MS: '3000',
      EMBEDLINE_INTRA_OP_THREADS: '1',
      EMBEDLINE_API_HOST: '127.0.0.1',
      EMBEDLINE_API_PORT: '0',
      EMBEDLINE_API_READ_KEYS: READ_KEY,
      EMBEDLINE_API_ADMIN_KEYS: ADMIN_KEY,
      LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    await cluster?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('every app refuses cluster mode without a hash-tag prefix: one line naming the setting and the prefix to use', async () => {
    const plain = { ...env, EMBEDLINE_QUEUE_PREFIX: 'embedline' };
    const refusals = await Promise.all([
      runApp('worker', [], plain),
      runApp('producer', ['ingest', corpus, '--collection', COLLECTION], plain),
      runApp('producer', ['status', COLLECTION], plain),
      runApp('api', [], plain),
    ]);
    for (const { code, output } of refusals) {
      assert.equal(code, 1, output);
      assertOneLine(output, /^embedline-(worker|producer|api): (--prefix \()?EMBEDLINE_QUEUE_PREFIX\)? "embedline" has no hash tag, which Redis Cluster mode .* needs: .* Set .*EMBEDLINE_QUEUE_PREFIX\)? to "\{embedline\}"$/);
    }
    // A flag is named as the flag: here it overrides a good prefix from the environment.
    const flag = await runApp('producer', ['status', COLLECTION, '--prefix', 'prod'], env);
    assert.equal(flag.code, 1, flag.output);
    assertOneLine(flag.output, /^embedline-producer: --prefix \(EMBEDLINE_QUEUE_PREFIX\) "prod" has no hash tag.* to "\{prod\}"$/);
    // Seed URLs without cluster mode, and a prefix the schema refuses, fail the same way.
    const seedsWithoutCluster = await runApp('worker', [], { ...env, EMBEDLINE_REDIS_CLUSTER: 'false' });
    assertOneLine(seedsWithoutCluster.output, /^embedline-worker: --redis \(EMBEDLINE_REDIS_URL\) lists 3 URLs, but --redis-cluster \(EMBEDLINE_REDIS_CLUSTER\) is off/);
    const twoTags = await runApp('worker', [], { ...env, EMBEDLINE_QUEUE_PREFIX: '{a}{b}' });
    assertOneLine(twoTags.output, /^embedline-worker: invalid environment: EMBEDLINE_QUEUE_PREFIX: .*at most one \{hash tag\}/);
  });

  describe('an ingest through two worker processes', () => {
    let entries: [string, string][];
    before(async () => {
      entries = writeTsvCorpus(corpus, PASSAGES);
      const workers = [startApp('worker', [], env), startApp('worker', [], env)];
      try {
        const ingest = await runApp('producer', ['ingest', corpus, '--collection', COLLECTION, '--no-progress', '--follow'], env);
        assert.equal(ingest.code, 0, ingest.output);
        assert.match(ingest.output, new RegExp(`accepted ${PASSAGES} passages, rejected 0`));
        assert.match(ingest.output, new RegExp(`finalized .*: ${PASSAGES} points stored`));
        for (const worker of workers) {
          assert.match(worker.output(), /on a Redis Cluster/);
          assert.doesNotMatch(worker.output(), /CROSSSLOT|MOVED|"level":50/, 'no cluster errors');
        }
      } finally {
        const codes = await Promise.all(workers.map((worker) => stopApp(worker)));
        assert.deepEqual(codes, [0, 0], 'workers stop cleanly on SIGTERM');
      }
    });

    test('every accepted id is stored exactly once, with the encoder\'s vectors', async () => {
      await assertStoredExactlyOnce(env, COLLECTION, entries);
    });

    test('`status` reads the finalized ingest from the cluster, as text and JSON', async () => {
      const text = await runApp('producer', ['status', COLLECTION], env);
      assert.equal(text.code, 0, text.output);
      assert.match(text.output, new RegExp(`^${COLLECTION}: finalized$`, 'm'));
      assert.match(text.output, new RegExp(`shards +${PASSAGES / SHARD_SIZE}/${PASSAGES / SHARD_SIZE} done; queue: 0 waiting, 0 active, 0 failed`));
      assert.match(text.output, new RegExp(`passages +${PASSAGES} embedded`));
      const json = await runApp('producer', ['status', COLLECTION, '--json'], env);
      assert.equal(json.code, 0, json.output);
      const status = JSON.parse(json.output) as { state: string; snapshot: { doneShards: number; storedCount: number } };
      assert.equal(status.state, 'finalized');
      assert.equal(status.snapshot.doneShards, PASSAGES / SHARD_SIZE);
      assert.equal(status.snapshot.storedCount, PASSAGES);
    });

    test("the deployment's keys all sit on one master (one hash slot); the manifest lists the ingest across masters", async () => {
      const client = createRedisConnection(cluster.url, { cluster: true }) as Cluster;
      try {
        const prefix = env.EMBEDLINE_QUEUE_PREFIX!;
        // First, on a client that has not read the slot map yet: the listing waits for it.
        assert.deepEqual(await new IngestManifest(client, prefix).list(), [COLLECTION]);
        const keysPerMaster = await Promise.all(client.nodes('master').map((node) => scanKeys(node, `${prefix}*`)));
        assert.equal(keysPerMaster.length, 3);
        assert.equal(keysPerMaster.filter((keys) => keys.length > 0).length, 1, 'one master holds them all');
        const keys = keysPerMaster.flat();
        assert.ok(keys.includes(`${prefix}:ingest:${COLLECTION}`), 'the manifest');
        assert.ok(keys.some((key) => key.startsWith(`${prefix}:shards:`)), 'the shards queue');
      } finally {
        await client.quit();
      }
    });

    test('the API on the cluster: readiness, the ingest status, queue depths and the queue dashboard', async () => {
      const api = startApp('api', [], env);
      try {
        const base = await waitFor('the API to listen', async () => /listening on (http:\/\/[^\s"]+)/.exec(api.output())?.[1], 120_000);
        await waitFor('readiness', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
        const get = async (path: string, key = READ_KEY) => {
          const response = await fetch(`${base}${path}`, { headers: { 'x-api-key': key } });
          assert.equal(response.status, 200, await response.clone().text());
          return response;
        };
        const detail = (await (await get(`/v1/collections/${COLLECTION}`)).json()) as { count: number; ingest: { state: string; done_records: number; done_shards: number } };
        assert.equal(detail.count, PASSAGES);
        assert.deepEqual([detail.ingest.state, detail.ingest.done_records, detail.ingest.done_shards], ['finalized', PASSAGES, PASSAGES / SHARD_SIZE]);
        const metrics = await (await get('/metrics')).text();
        assert.match(metrics, /^embedline_queue_jobs\{queue="shards",state="wait"\} 0$/m);
        assert.match(metrics, /^embedline_queue_jobs\{queue="finalize",state="failed"\} 0$/m);
        const dashboard = (await (await get('/admin/queues/api/queues', ADMIN_KEY)).json()) as {
          queues: { name: string; counts: Record<string, number> }[];
        };
        const counts = Object.fromEntries(dashboard.queues.map((queue) => [queue.name, queue.counts]));
        assert.deepEqual(Object.keys(counts).sort(), ['dead-letter', 'finalize', 'shards']);
        assert.equal(counts.finalize?.completed, 1, 'the ingest\'s flow parent ran');
        assert.deepEqual([counts.shards?.waiting, counts.shards?.active, counts.shards?.failed], [0, 0, 0]);
      } finally {
        assert.equal(await stopApp(api), 0, api.output());
      }
    });
  });
});

/** The app's whole output is one line matching `pattern`: an error message, no stack trace. */
function assertOneLine(output: string, pattern: RegExp): void {
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace:\n${output}`);
  assert.match(lines[0]!, pattern);
}
