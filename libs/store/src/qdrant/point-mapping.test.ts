import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomUnitVectors } from '@embedline/testing';
import { toRecordBatch } from '../embedded-batch.ts';
import { FakeQdrant } from './contract/fake-qdrant.ts';
import { QdrantStore } from './qdrant-store.ts';

describe('payload values Qdrant cannot parse', () => {
  test('a lone surrogate in a payload (a broken emoji from a JSONL corpus) is stored as U+FFFD, not a failed batch', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    const store = new QdrantStore({ url: fake.url, sleep: async () => {}, retry: { maxAttempts: 2 } });
    try {
      await store.createCollection('docs', { dimension: 4 });
      const vectors = randomUnitVectors(3, 4, 21);
      // What JSON.parse makes of Python's json.dumps of a broken string: {"title": "smile \ud83d"}.
      const payloads = [
        { title: 'smile \ud83d', tags: ['ok', 'half \udc00 pair'] },
        { ['key \ud800']: 1, nested: { deep: 'x\udfff' } },
        { title: 'a whole pair \ud83d\ude00 stays' },
      ];
      await store.upsert(
        'docs',
        toRecordBatch({ ids: ['1', '2', '3'], vectors, dimension: 4, texts: ['a', 'b', 'c'], payloads }),
      );
      assert.equal(await store.count('docs'), 3);
      const payloadOf = async (i: number) =>
        (await store.search('docs', vectors.subarray(i * 4, i * 4 + 4), { topK: 1, withPayload: true }))[0]
          ?.payload;
      assert.deepEqual(await payloadOf(0), {
        text: 'a',
        title: 'smile \ufffd',
        tags: ['ok', 'half \ufffd pair'],
      });
      assert.deepEqual(await payloadOf(1), { text: 'b', ['key \ufffd']: 1, nested: { deep: 'x\ufffd' } });
      assert.deepEqual(await payloadOf(2), { text: 'c', title: 'a whole pair \ud83d\ude00 stays' });
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test("the fake answers such a body as Qdrant's serde_json does: 400, the request refused whole", async () => {
    const fake = await FakeQdrant.start();
    try {
      const put = (body: string) =>
        fetch(`${fake.url}/collections/c`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body,
        });
      const refused = await put('{"vectors":{"size":2,"distance":"Dot"},"metadata":{"t":"\\ud83d"}}');
      assert.equal(refused.status, 400);
      assert.match(JSON.stringify(await refused.json()), /lone leading surrogate in hex escape/);
      assert.equal(fake.collection('c'), undefined);
      const paired = await put('{"vectors":{"size":2,"distance":"Dot"},"metadata":{"t":"\\ud83d\\ude00"}}');
      assert.equal(paired.status, 200);
    } finally {
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });
});
