import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelName, withoutPaths } from './public-detail.ts';

test('modelName: a Hugging Face cache folder by its repository, any other folder by its last part', () => {
  const cache = '/home/svc/.cache/huggingface/hub/models--sentence-transformers--msmarco-distilbert-cos-v5';
  assert.equal(modelName(`${cache}/snapshots/0123abcd`), 'sentence-transformers/msmarco-distilbert-cos-v5');
  assert.equal(modelName(`${cache}/snapshots/0123abcd/`), 'sentence-transformers/msmarco-distilbert-cos-v5');
  assert.equal(modelName('/srv/models/my-model/'), 'my-model');
  assert.equal(modelName('libs/encoder/fixtures/tiny-model'), 'tiny-model');
  assert.equal(modelName('C:\\models\\tiny-model'), 'tiny-model');
});

test('withoutPaths: absolute paths become <path>; URLs, addresses and words stay', () => {
  assert.equal(
    withoutPaths("Table 'docs' not found at /var/lib/embedline/lancedb/docs.lance (errno 2)"),
    "Table 'docs' not found at <path> (errno 2)",
  );
  assert.equal(withoutPaths('open "/data/x.lance": denied'), 'open "<path>": denied');
  assert.equal(withoutPaths('path=/data/x, C:\\db\\y failed'), 'path=<path>, <path> failed');
  assert.equal(withoutPaths('connect ECONNREFUSED 127.0.0.1:6333'), 'connect ECONNREFUSED 127.0.0.1:6333');
  assert.equal(
    withoutPaths('GET http://qdrant:6333/collections: 503'),
    'GET http://qdrant:6333/collections: 503',
  );
  assert.equal(withoutPaths('timed out after 1000 ms'), 'timed out after 1000 ms');
});
