import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeQdrant } from './contract/fake-qdrant.ts';
import { QdrantUnavailableError } from './qdrant-errors.ts';
import { QdrantStore } from './qdrant-store.ts';

describe('the server version probe', () => {
  test('a 429 storm on "/" fails the call, and is not remembered as a server without metadata', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, sleep: async () => {}, retry: { maxAttempts: 2 } });
    try {
      fake.inject({ operationId: 'root', status: 429, times: 2 });
      await assert.rejects(store.createCollection('docs', { dimension: 4 }), QdrantUnavailableError);
      assert.equal(fake.collection('docs'), undefined, 'nothing created while the version was unknown');
      // The limit is over: the next call asks again and finds a 1.19 server, with metadata.
      await store.createCollection('docs', { dimension: 4 });
      assert.deepEqual(fake.collection('docs')?.metadata, { embedline_finalized: false });
      assert.equal(fake.requestsFor('root').length, 3);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('a 4xx answer that is final (a proxy hiding "/") still means: go on without metadata', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, sleep: async () => {}, retry: { maxAttempts: 2 } });
    try {
      fake.inject({ operationId: 'root', status: 403 });
      await store.createCollection('docs', { dimension: 4 });
      assert.equal(fake.collection('docs')?.metadata, undefined);
      assert.equal(fake.requestsFor('root').length, 1);
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });
});
