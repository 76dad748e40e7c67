import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
