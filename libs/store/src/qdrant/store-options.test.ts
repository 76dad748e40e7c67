import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeQdrant } from './contract/fake-qdrant.ts';
import { QdrantStore } from './qdrant-store.ts';

/** Asserts that constructing a store fails with a TypeError matching `pattern` that never shows `secrets`. */
function refused(make: () => unknown, pattern: RegExp, secrets: string[]): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof TypeError, String(error));
    assert.match(error.message, pattern);
    for (const secret of secrets)
      assert.ok(!error.message.includes(secret), `"${secret}" leaked: ${error.message}`);
    return true;
  });
}

describe('credentials in the store options', () => {
  test('an API key no header can carry is refused at construction, saying where, never showing the key', () => {
    const url = 'http://127.0.0.1:6333';
    refused(
      () => new QdrantStore({ url, apiKey: 'first-half-of-key\nsecond-half' }),
      /QDRANT_API_KEY\) holds a line break at position 18 of 29.*the key is not shown/,
      ['first-half-of-key', 'second-half'],
    );
    refused(() => new QdrantStore({ url, apiKey: 'k3y\r\nmore' }), /holds a line break at position 4/, [
      'k3y',
      'more',
    ]);
    refused(
      () => new QdrantStore({ url, apiKey: 'xyzzy\u2026key' }),
      /holds the character U\+2026 at position 6 of 9/,
      ['xyzzy', '\u2026key'],
    );
  });

  test('a key with a trailing line break (a secret file written by echo) is sent trimmed', async () => {
    const fake = await FakeQdrant.start({ apiKey: 's3cret' });
    const store = new QdrantStore({ url: fake.url, apiKey: '  s3cret\n' });
    try {
      assert.deepEqual(await store.listCollections(), []);
      assert.equal(fake.requests[0]?.headers['api-key'], 's3cret');
    } finally {
      await store.close();
      await fake.close();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('location names the server and the collection prefix, never the key', async () => {
    const store = new QdrantStore({
      url: 'https://q.example:443/base',
      apiKey: 'k'.repeat(24),
      collectionPrefix: 't_',
    });
    assert.equal(store.location, 'Qdrant at https://q.example:443/base (collection prefix "t_")');
    assert.equal(new QdrantStore({ url: 'http://qdrant:6333' }).location, 'Qdrant at http://qdrant:6333');
    await store.close();
  });

  test('a URL that does not parse, or is not http(s), is a TypeError naming QDRANT_URL and the form expected', () => {
    const expected = /expected http\(s\):\/\/host\[:port\]\[\/path\], e\.g\. http:\/\/qdrant:6333$/;
    for (const url of ['qdrant', 'http://', 'http://qdrant:99999']) {
      refused(
        () => new QdrantStore({ url }),
        new RegExp(`^QdrantStore url \\(QDRANT_URL\\) is not a URL: "${url}"`),
        [],
      );
      refused(() => new QdrantStore({ url }), expected, []);
    }
    refused(
      () => new QdrantStore({ url: 'qdrant:6333' }),
      /^QdrantStore url \(QDRANT_URL\) must be http\(s\): "qdrant:6333" \(qdrant: is read as its scheme\); expected/,
      [],
    );
    refused(() => new QdrantStore({ url: 'ftp://admin:hunter2@qdrant' }), /must be http\(s\): \(not shown/, [
      'hunter2',
    ]);
  });

  test('a URL with a query string or fragment is refused (the client drops it), naming the parameters only', () => {
    refused(
      () => new QdrantStore({ url: 'https://qdrant.example.com:6333/?api-key=hunter2' }),
      /^QdrantStore url \(QDRANT_URL\) holds a query string \(parameters: api-key\), which the store would not send: .*QDRANT_API_KEY.*EMBEDLINE_QDRANT_TIMEOUT_MS/,
      ['hunter2'],
    );
    refused(
      () => new QdrantStore({ url: 'http://qdrant:6333?timeout=30&api-key=k3y&timeout=60' }),
      /holds a query string \(parameters: timeout, api-key\)/,
      ['k3y', '30', '60'],
    );
    refused(() => new QdrantStore({ url: 'http://qdrant:6333/#secret' }), /holds a fragment \(#\.\.\.\)/, [
      'secret',
    ]);
    assert.doesNotThrow(() => new QdrantStore({ url: 'http://qdrant:6333/?' }), 'an empty query is no query');
  });

  test('a URL with user:password@ is refused (the store would drop them), without showing it', () => {
    refused(
      () => new QdrantStore({ url: 'https://admin:hunter2@qdrant.example.com' }),
      /url holds credentials \(user:password@\).*QDRANT_API_KEY/,
      ['hunter2', 'admin'],
    );
  });
});
