import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCollectionName } from './collection-name.ts';

test('accepts plain names', () => {
  assert.equal(parseCollectionName('msmarco-v1_2'), 'msmarco-v1_2');
});

test('refuses bad names with the name and the rule', () => {
  assert.throws(() => parseCollectionName(''), /invalid collection name "": collection names are 1-64/);
  assert.throws(() => parseCollectionName('-x'), /starting with a letter or digit/);
  assert.throws(() => parseCollectionName('a'.repeat(65)), /1-64/);
  assert.throws(() => parseCollectionName('has space'), /letters, digits/);
});

test('refuses names the stores reserve for shard ledgers', () => {
  assert.throws(() => parseCollectionName('msmarco__shards'), /reserved for the stores' shard ledgers/);
});
