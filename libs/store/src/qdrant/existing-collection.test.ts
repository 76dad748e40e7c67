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
});
