// Collections the store did not create: an operator's `curl -X PUT` (docs/operations.md, "Bulk load"), or
// another tool's. The store adopts what it can use and refuses, by name, what it cannot.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomUnitVectors } from '@embedline/testing';
import { toRecordBatch } from '../embedded-batch.ts';
import { FakeQdrant } from './contract/fake-qdrant.ts';
import { QdrantRequestError } from './qdrant-errors.ts';
import { QdrantStore } from './qdrant-store.ts';

/** Creates a collection the way an operator does, with a plain request to the REST API. */
async function putCollection(fake: FakeQdrant, name: string, body: unknown): Promise<void> {
  const response = await fetch(`${fake.url}/collections/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

function batch(count: number, dimension: number) {
  const ids = Array.from({ length: count }, (_, i) => String(i));
  const vectors = randomUnitVectors(count, dimension, 11);
  return toRecordBatch({ ids, vectors, dimension, texts: ids });
}

describe('a collection created by someone else', () => {
  test('one that ranks by a distance (Euclid, Manhattan) is refused by name, before anything is written', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
    try {
      for (const distance of ['Euclid', 'Manhattan']) {
        const name = `by-${distance.toLowerCase()}`;
        await putCollection(fake, name, { vectors: { size: 4, distance } });
        const refused = (error: unknown) => {
          assert.ok(error instanceof QdrantRequestError, String(error));
          assert.match(error.message, new RegExp(`"${name}".*${distance} distance.*"distance": "Dot"`));
          return true;
        };
        await assert.rejects(store.createCollection(name, { dimension: 4 }), refused);
        await assert.rejects(store.upsert(name, batch(3, 4)), refused);
        await assert.rejects(store.describe(name), refused);
        assert.equal(fake.collection(name)?.pointCount, 0);
      }
      assert.deepEqual(fake.requestsFor('upsert_points'), []);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test("one with named vectors only (another tool's) is refused, naming them, before anything is written", async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
    try {
      await putCollection(fake, 'tool', {
        vectors: { dense: { size: 4, distance: 'Cosine' }, title: { size: 8, distance: 'Dot' } },
      });
      const refused = (error: unknown) => {
        assert.ok(error instanceof QdrantRequestError, String(error));
        assert.match(
          error.message,
          /^Qdrant read collection "tool" failed: it has named vectors only \("dense": 4 Cosine, "title": 8 Dot\); Embedline writes and searches one unnamed vector: .*"vectors": \{ "size": <dimension>, "distance": "Dot" \}$/,
        );
        return true;
      };
      await assert.rejects(store.createCollection('tool', { dimension: 4 }), refused);
      await assert.rejects(store.upsert('tool', batch(3, 4)), refused);
      await assert.rejects(store.describe('tool'), refused);
      assert.deepEqual(fake.requestsFor('upsert_points'), []);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('one whose layout differs from the shards, replication or onDisk asked for is refused, naming each', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
    try {
      await putCollection(fake, 'small', { vectors: { size: 4, distance: 'Dot' }, shard_number: 2 });
      await assert.rejects(
        store.createCollection('small', { dimension: 4, onDisk: true, shards: 6, replication: 1 }),
        (error: unknown) => {
          assert.ok(error instanceof QdrantRequestError, String(error));
          assert.match(
            error.message,
            /^Qdrant create collection "small" failed: it exists with shard_number 2 \(asked: 6\), vectors\.on_disk false \(asked: true\): .*delete it.*PATCH.*leave these options out/,
          );
          return true;
        },
      );
      // Asked for what it has, or for nothing: adopted.
      await store.createCollection('small', { dimension: 4, shards: 2, replication: 1, onDisk: false });
      await store.createCollection('small', { dimension: 4 });
      assert.equal(fake.requestsFor('create_collection').length, 1, 'only the operator created it');
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('one with Cosine distance is adopted: unit vectors score the same as with Dot', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
    try {
      await putCollection(fake, 'cosine', { vectors: { size: 4, distance: 'Cosine' } });
      await store.createCollection('cosine', { dimension: 4 });
      await store.upsert('cosine', batch(3, 4));
      assert.equal((await store.describe('cosine'))?.count, 3);
      assert.deepEqual(fake.collection('cosine')?.payloadIndexes, { id: 'keyword' });
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('finalize keeps the HNSW and indexing settings it finds on, and restores only what a bulk load turned off', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, pollIntervalMs: 1 });
    const settingsUpdates = () =>
      fake
        .requestsFor('update_collection')
        .map((r) => r.body as Record<string, unknown>)
        .filter((body) => body['hnsw_config'] !== undefined || body['optimizers_config'] !== undefined);
    try {
      // Tuned for recall by an operator, indexing on: a later ingest's finalize must not rebuild it with m 16.
      await putCollection(fake, 'tuned', {
        vectors: { size: 4, distance: 'Dot' },
        hnsw_config: { m: 32, ef_construct: 256 },
      });
      await store.createCollection('tuned', { dimension: 4 });
      await store.upsert('tuned', batch(5, 4));
      await store.finalize('tuned');
      assert.deepEqual(settingsUpdates(), []);
      const tuned = fake.collection('tuned');
      assert.deepEqual([tuned?.hnsw.m, tuned?.hnsw.ef_construct], [32, 256]);
      assert.equal((await store.describe('tuned'))?.finalized, true);

      // Loaded with indexing off (Qdrant's other bulk-load recipe) and its own m: only indexing comes back.
      await putCollection(fake, 'bulk', {
        vectors: { size: 4, distance: 'Dot' },
        hnsw_config: { m: 32 },
        optimizers_config: { indexing_threshold: 0 },
      });
      await store.upsert('bulk', batch(5, 4));
      await store.finalize('bulk');
      assert.deepEqual(settingsUpdates(), [{ optimizers_config: { indexing_threshold: 20_000 } }]);
      const bulk = fake.collection('bulk');
      assert.deepEqual([bulk?.hnsw.m, bulk?.optimizer.indexing_threshold], [32, 20_000]);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });
});
