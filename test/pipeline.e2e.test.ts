/**
 * The main job end to end, with real parts: a private redis-server, BullMQ, worker processes running
 * the real ONNX encoder (the bundled reference model), Arrow batches and the embedded LanceDB store.
 * Each test uses its own queue prefix and store folder.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { readIngestStatus } from '@embedline/pipeline';
import { createRedisConnection } from '@embedline/queue';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { PrivateRedis } from './support/private-redis.ts';
import { exited, runApp, startApp, stopApp, waitFor } from './support/processes.ts';
import { assertStoredExactlyOnce } from './support/stored-points.ts';

describe('pipeline end to end', { timeout: 600_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  before(async () => {
    redis = await PrivateRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'embedline-e2e-'));
  });
  after(async () => {
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Settings for one scenario: its own queue prefix and store folder on the shared private Redis. */
  function scenario(name: string) {
    const env = {
      EMBEDLINE_REDIS_URL: redis.url,
      EMBEDLINE_QUEUE_PREFIX: `e2e-${name}-${randomUUID().slice(0, 8)}`,
      EMBEDLINE_STORE: 'lancedb',
      EMBEDLINE_LANCEDB_DIR: join(dir, name, 'lancedb'),
      EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
      EMBEDLINE_SHARD_SIZE: '250',
      EMBEDLINE_HIGH_WATER_MARK: '4',
      EMBEDLINE_LOCK_DURATION_MS: '3000',
      EMBEDLINE_INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'info',
    };
    const status = async () => {
      const connection = createRedisConnection(redis.url);
      try {
        return await readIngestStatus(connection, env.EMBEDLINE_QUEUE_PREFIX, name);
      } finally {
        connection.disconnect();
      }
    };
    return { env, status, corpus: join(dir, `${name}.tsv`) };
  }

  test('ingests 5,000 passages with 2 worker processes: every accepted id stored once, vectors equal the encoder', async () => {
    const { env, corpus } = scenario('main');
    const ids = writeTsvCorpus(corpus, 5000);
    const opsFlags = ['--metrics-port', '0', '--metrics-host', '127.0.0.1'];
    const workers = [startApp('worker', opsFlags, env), startApp('worker', opsFlags, env)];
    try {
      const ingest = await runApp('producer', ['ingest', corpus, '--collection', 'main', '--no-progress', '--follow'], env);
      assert.equal(ingest.code, 0, ingest.output);
      assert.match(ingest.output, /accepted 5000 passages, rejected 0/);
      assert.match(ingest.output, /finalized .*: 5000 points stored/);
      for (const worker of workers) {
        assert.match(worker.output(), /stored 250 passages/, 'both workers took shards');
        assert.match(worker.output(), /\(2 shards in flight\)/, 'one inference thread: two shards by default');
      }
      await assertWorkerMetrics(workers.map((w) => w.output()), { collection: 'main', passages: 5000, shards: 20 });
    } finally {
      const codes = await Promise.all(workers.map((w) => stopApp(w)));
      assert.deepEqual(codes, [0, 0], 'workers stop cleanly on SIGTERM');
    }
    await assertStoredExactlyOnce(env, 'main', ids);
  });

  test('workers split by queue: one embeds shards, one finalizes without loading the model', async () => {
    const { env, corpus } = scenario('roles');
    const ids = writeTsvCorpus(corpus, 2000);
    // Two inference threads: the default concurrency follows them (defaultShardConcurrency).
    const embedder = startApp('worker', ['--queues', 'shards', '--inference-threads', '2'], env);
    const finalizer = startApp('worker', ['--queues', 'finalize'], env);
    try {
      const ingest = await runApp('producer', ['ingest', corpus, '--collection', 'roles', '--no-progress', '--follow'], env);
      assert.equal(ingest.code, 0, ingest.output);
      assert.match(ingest.output, /finalized .*: 2000 points stored/);
      assert.match(finalizer.output(), /collection roles finalized: 2000 points stored/);
      assert.match(finalizer.output(), /consuming finalize \(no model loaded\)/);
      assert.doesNotMatch(finalizer.output(), /encoder ready|stored \d+ passages/, 'the finalizer embeds nothing');
      assert.doesNotMatch(embedder.output(), /finalized/, 'the embedder finalizes nothing');
      assert.match(embedder.output(), /stored 250 passages/);
      assert.match(embedder.output(), /consuming shards \(4 shards in flight\)/);
      // Nothing accepted: an error, and no ingest for the workers to finalize.
      const empty = join(dir, 'roles-empty.tsv');
      writeFileSync(empty, 'not-a-number\tbad id\n');
      const none = await runApp('producer', ['ingest', empty, '--collection', 'roles-empty', '--no-progress', '--follow'], env);
      assert.equal(none.code, 1, none.output);
      assert.match(none.output, /no passage to ingest into roles-empty: all 1 records were rejected .*; nothing was enqueued/);
      assert.doesNotMatch(finalizer.output(), /roles-empty/);
    } finally {
      assert.deepEqual(await Promise.all([stopApp(embedder), stopApp(finalizer)]), [0, 0]);
    }
    await assertStoredExactlyOnce(env, 'roles', ids);
    const bad = await runApp('worker', ['--queues', 'gpu'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--queues.*expected shards, finalize or both \(comma-separated\), got "gpu"/);
  });

  test('a worker killed with SIGKILL mid-run: its shards are redone, every passage stored exactly once', async () => {
    const { env, corpus, status } = scenario('crash');
    const ids = writeTsvCorpus(corpus, 3000);
    const victim = startApp('worker', [], env);
    const survivor = startApp('worker', [], env);
    try {
      const ingest = startApp('producer', ['ingest', corpus, '--collection', 'crash', '--no-progress'], env);
      await waitFor('two shards done', async () => ((await status()).snapshot?.doneShards ?? 0) >= 2 || undefined);
      victim.kill('SIGKILL');
      assert.equal(await exited(ingest), 0, ingest.output());
      const replacement = startApp('worker', [], env);
      try {
        await waitFor('finalize', async () => ((await status()).state === 'finalized' ? true : undefined), 300_000);
      } finally {
        await stopApp(replacement);
      }
    } finally {
      await stopApp(victim, 'SIGKILL');
      await stopApp(survivor);
    }
    await assertStoredExactlyOnce(env, 'crash', ids);
  });

  test('Redis restarts mid-run and loses everything: re-running ingest enqueues only what is missing', async () => {
    const { env, corpus, status } = scenario('restart');
    const ids = writeTsvCorpus(corpus, 3000);
    const workers = [startApp('worker', [], env), startApp('worker', [], env)];
    try {
      const first = startApp('producer', ['ingest', corpus, '--collection', 'restart', '--no-progress'], env);
      await waitFor('three shards done', async () => ((await status()).snapshot?.doneShards ?? 0) >= 3 || undefined);
      await redis.restart();
      await exited(first);
      const again = await runApp('producer', ['ingest', corpus, '--collection', 'restart', '--no-progress', '--follow'], env);
      assert.equal(again.code, 0, again.output);
      const skipped = Number(/(\d+) already done/.exec(again.output)?.[1]);
      assert.ok(skipped >= 3, `re-run skipped the shards already stored (${again.output})`);
      assert.match(again.output, /finalized .*: 3000 points stored/);
      // The shards stored before the restart count as done in the new manifest, as they are in the store.
      assert.match(again.output, /shards {7}12\/12 done/);
      assert.equal((await status()).snapshot?.doneRecords, 3000);
    } finally {
      await Promise.all(workers.map((w) => stopApp(w)));
    }
    await assertStoredExactlyOnce(env, 'restart', ids);
  });

  test('bad records are counted and written to the rejects file; good ones around them are stored', async () => {
    const { env, corpus } = scenario('bad');
    const good = ['1\tgood passage one', '2\tgood passage two', '5\tgood passage five', '9\tlast line without newline'];
    // BOM, CRLF and a last line without newline are all fine; the six lines in between are not.
    const lines = [
      '\ufeff' + good[0],
      'no separator here',
      '3\t   ',
      'abc\tnon-numeric id',
      '99999999999999999999\tid out of range',
      '4\ttext with a NUL \u0000 byte',
      good[1],
      '1\tduplicate of pid 1',
      good[2] + '\r',
      good[3],
    ];
    writeFileSync(corpus, lines.join('\n'));
    const rejects = join(dir, 'bad.rejects.jsonl');
    const worker = startApp('worker', [], env);
    try {
      const ingest = await runApp('producer', ['ingest', corpus, '--collection', 'bad', '--no-progress', '--follow', '--rejects', rejects], env);
      assert.equal(ingest.code, 0, ingest.output);
      assert.match(ingest.output, /accepted 4 passages, rejected 6/);
      assert.match(ingest.output, /finalized .*: 4 points stored/);
    } finally {
      await stopApp(worker);
    }
    const firstRejects = readFileSync(rejects, 'utf8');
    const again = await runApp('producer', ['ingest', corpus, '--collection', 'bad', '--no-progress', '--rejects', rejects], env);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /already ingested and finalized/);
    assert.equal(readFileSync(rejects, 'utf8'), firstRejects, 're-running a finished ingest keeps its rejects file');
    const rejected = firstRejects.trim().split('\n').map((l) => JSON.parse(l) as { line: number; kind: string });
    assert.deepEqual(
      rejected.map((r) => [r.line, r.kind]),
      [
        [2, 'no-separator'],
        [3, 'empty-text'],
        [4, 'bad-id'],
        [5, 'id-out-of-range'],
        [6, 'nul-byte'],
        [8, 'duplicate-id'],
      ],
    );
    await assertStoredExactlyOnce(env, 'bad', [
      ['1', 'good passage one'],
      ['2', 'good passage two'],
      ['5', 'good passage five'],
      ['9', 'last line without newline'],
    ]);
  });
});

/** Each worker's /healthz, /readyz and /metrics (port 0: the address its log gives); the counts add up across them. */
async function assertWorkerMetrics(
  outputs: string[],
  expected: { collection: string; passages: number; shards: number },
): Promise<void> {
  let passages = 0;
  let shards = 0;
  let finalizes = 0;
  for (const output of outputs) {
    const base = /worker operations server on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    assert.ok(base, `the worker logs its operations address:\n${output}`);
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
    const text = await (await fetch(`${base}/metrics`)).text();
    const labels = `collection="${expected.collection}"`;
    passages += Number(new RegExp(`^embedline_worker_passages_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    shards += Number(new RegExp(`^embedline_worker_shards_total\\{${labels},outcome="stored"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    finalizes += Number(/^embedline_worker_finalize_duration_seconds_count\{outcome="finalized"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    assert.match(text, /^embedline_worker_active_shards 0$/m);
    assert.match(text, /^embedline_worker_tokens_total\{kind="real"\} \d+/m);
  }
  assert.equal(passages, expected.passages, 'passages_total across the workers');
  assert.equal(shards, expected.shards, 'stored shards across the workers');
  assert.equal(finalizes, 1, 'one worker finalized the collection');
}
