import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import { clientParams } from './qdrant-connection.ts';
import { resolveStoreOptions } from './store-options.ts';

/** Where the official client sends requests for a store URL (its private `_restUri`, read on purpose). */
function restUri(url: string): string {
  const client = new QdrantClient(clientParams(resolveStoreOptions({ url })));
  return (client as unknown as { _restUri: string })._restUri;
}

describe('the address the client is given', () => {
  test('a port written in the URL is the port used, a scheme default (:443, :80) included', () => {
    assert.equal(restUri('https://qdrant.example.com:443'), 'https://qdrant.example.com:443');
    assert.equal(restUri('http://qdrant-proxy:80/'), 'http://qdrant-proxy:80');
    assert.equal(restUri('http://[::1]:80'), 'http://[::1]:80');
  });

  test('no port means 6333, as in the official client; other ports, paths and trailing slashes as written', () => {
    assert.equal(restUri('https://xyz.cloud.qdrant.io'), 'https://xyz.cloud.qdrant.io:6333');
    assert.equal(restUri('http://[::1]/'), 'http://[::1]:6333');
    assert.equal(restUri('http://qdrant:6333'), 'http://qdrant:6333');
    assert.equal(restUri('http://127.0.0.1:6334/'), 'http://127.0.0.1:6334');
    assert.equal(restUri('https://proxy:8443/a/qdrant//'), 'https://proxy:8443/a/qdrant');
  });
});
