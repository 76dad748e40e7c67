import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultShardConcurrency } from './shard-concurrency.ts';

test('a CPU worker (one inference thread) holds two shards, as before', () => {
  assert.equal(defaultShardConcurrency(1), 2);
});

test('a GPU worker holds two shards per inference thread, so every session has a next batch', () => {
  assert.equal(defaultShardConcurrency(2), 4);
  assert.equal(defaultShardConcurrency(4), 8);
});
