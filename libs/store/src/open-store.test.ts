import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@lancedb/lancedb';
import { toRecordBatch } from './embedded-batch.ts';
import { LanceDbStore } from './lancedb/lancedb-store.ts';
import { openStore } from './open-store.ts';
import { FakeQdrant } from './qdrant/contract/fake-qdrant.ts';
import { QdrantStore } from './qdrant/qdrant-store.ts';

const LANCEDB_DIR = '/nonexistent/embedline-open-store-test';

test('EMBEDLINE_STORE=lancedb opens the embedded store at EMBEDLINE_LANCEDB_DIR', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'embedline-open-store-'));
  try {
    const store = await openStore({ EMBEDLINE_STORE: 'lancedb', EMBEDLINE_LANCEDB_DIR: dir });
    assert.ok(store instanceof LanceDbStore);
    await store.createCollection('docs', { dimension: 4 });
    await store.recordShard('docs', 'a', 1);
    assert.deepEqual(await store.completedShards('docs'), new Map([['a', 1]]));
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS sets how often the embedded store compacts while loading', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'embedline-open-store-'));
  try {
    for (const [every, fragments] of [
      [undefined, 2],
      [3, 1],
    ] as const) {
      const name = `docs${every ?? ''}`;
      const store = await openStore({
        EMBEDLINE_STORE: 'lancedb',
        EMBEDLINE_LANCEDB_DIR: dir,
        ...(every === undefined ? {} : { EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS: every }),
      });
      await store.createCollection(name, { dimension: 4 }); // version 1
      for (const id of ['1', '2'])
        // versions 2 and 3
        await store.upsert(
          name,
          toRecordBatch({ ids: [id], vectors: new Float32Array(4).fill(0.5), dimension: 4, texts: [id] }),
        );
      await store.close();
      const db = await connect(dir);
      const table = await db.openTable(name);
      assert.equal((await table.stats()).fragmentStats.numFragments, fragments, `every ${every}`);
      table.close();
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('EMBEDLINE_LANCEDB_COMPACT_EVERY_ROWS bounds the rows between two compactions while loading', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'embedline-open-store-'));
  try {
    for (const [everyRows, fragments] of [
      [0, 3],
      [5, 1],
    ] as const) {
      const name = `docs${everyRows}`;
      const store = await openStore({
        EMBEDLINE_STORE: 'lancedb',
        EMBEDLINE_LANCEDB_DIR: dir,
        EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS: 0,
        EMBEDLINE_LANCEDB_COMPACT_EVERY_ROWS: everyRows,
      });
      await store.createCollection(name, { dimension: 4 });
      for (const first of [0, 2, 4]) {
        // 2 rows a write: the third takes the table from 4 to 6 rows, past 5
        const ids = [String(first), String(first + 1)];
        const vectors = new Float32Array(8).fill(0.5);
        await store.upsert(name, toRecordBatch({ ids, vectors, dimension: 4, texts: ids }), {
          firstWrite: true,
        });
      }
      await store.close();
      const db = await connect(dir);
      const table = await db.openTable(name);
      assert.equal((await table.stats()).fragmentStats.numFragments, fragments, `every ${everyRows} rows`);
      table.close();
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('EMBEDLINE_STORE=qdrant opens a QdrantStore on QDRANT_URL with QDRANT_API_KEY, shard ledger included', async () => {
  const fake = await FakeQdrant.start({ apiKey: 'secret-key' });
  try {
    const store = await openStore({
      EMBEDLINE_STORE: 'qdrant',
      EMBEDLINE_LANCEDB_DIR: LANCEDB_DIR,
      QDRANT_URL: fake.url,
      QDRANT_API_KEY: 'secret-key',
    });
    assert.ok(store instanceof QdrantStore);
    await store.createCollection('docs', { dimension: 4 });
    await store.recordShard('docs', 'a', 1);
    assert.deepEqual(await store.completedShards('docs'), new Map([['a', 1]]));
    await store.close();
    assert.ok(fake.requests.length > 0);
    assert.ok(fake.requests.every((r) => r.headers['api-key'] === 'secret-key'));
    assert.ok(!fake.requests.some((r) => r.status === 401 || r.status === 403), 'the key was accepted');
    assert.deepEqual(fake.violations, []);
  } finally {
    await fake.close();
  }
});

test('EMBEDLINE_QDRANT_BATCH_SIZE splits a shard write into upsert requests of that many points', async () => {
  const fake = await FakeQdrant.start();
  try {
    const store = await openStore({
      EMBEDLINE_STORE: 'qdrant',
      EMBEDLINE_LANCEDB_DIR: LANCEDB_DIR,
      QDRANT_URL: fake.url,
      EMBEDLINE_QDRANT_BATCH_SIZE: 3,
      EMBEDLINE_QDRANT_CONCURRENCY: 1,
      EMBEDLINE_QDRANT_TIMEOUT_MS: 5000,
    });
    await store.createCollection('docs', { dimension: 4 });
    const ids = Array.from({ length: 10 }, (_, i) => String(i));
    await store.upsert(
      'docs',
      toRecordBatch({ ids, vectors: new Float32Array(40).fill(0.5), dimension: 4, texts: ids }),
    );
    const sizes = fake
      .requestsFor('upsert_points')
      .map((r) => (r.body as { points: unknown[] }).points.length);
    assert.deepEqual(sizes, [3, 3, 3, 1]);
    await store.close();
  } finally {
    await fake.close();
  }
});

test('EMBEDLINE_STORE=qdrant without an API key sends none (the server then answers 401, named clearly)', async () => {
  const fake = await FakeQdrant.start({ apiKey: 'secret-key' });
  try {
    const store = await openStore({
      EMBEDLINE_STORE: 'qdrant',
      EMBEDLINE_LANCEDB_DIR: LANCEDB_DIR,
      QDRANT_URL: fake.url,
    });
    await assert.rejects(store.listCollections(), /401/);
    assert.equal(fake.requests[0]?.headers['api-key'], undefined);
    await store.close();
  } finally {
    await fake.close();
  }
});

test("failFast (the API): a Qdrant answering 503 fails a request after 2 attempts, not the workers' 6", async () => {
  const fake = await FakeQdrant.start();
  try {
    const settings = {
      EMBEDLINE_STORE: 'qdrant' as const,
      EMBEDLINE_LANCEDB_DIR: LANCEDB_DIR,
      QDRANT_URL: fake.url,
    };
    const store = await openStore(settings, { failFast: true });
    fake.inject({ status: 503, retryAfter: '30', times: 100 });
    await assert.rejects(store.listCollections(), /503/);
    assert.equal(fake.requests.length, 2, fake.requests.map((r) => `${r.method} ${r.path}`).join(', '));
    await store.close();
  } finally {
    await fake.close();
  }
});

test('EMBEDLINE_STORE=qdrant without QDRANT_URL is a clear error naming the variable', async () => {
  for (const QDRANT_URL of [undefined, '', '  ']) {
    await assert.rejects(
      openStore({ EMBEDLINE_STORE: 'qdrant', EMBEDLINE_LANCEDB_DIR: LANCEDB_DIR, QDRANT_URL }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /EMBEDLINE_STORE=qdrant needs QDRANT_URL/);
        return true;
      },
    );
  }
});
