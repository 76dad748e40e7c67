import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShardOf, shardKey } from './job-ids.ts';

test("isShardOf tells a corpus's shard keys from another corpus's", () => {
  const mine = 'ab'.repeat(32);
  const other = 'ab'.repeat(8) + 'cd'.repeat(24); // same first 16 characters: the key keeps only those
  assert.equal(isShardOf(shardKey(mine, 0), mine), true);
  assert.equal(isShardOf(shardKey(mine, 1234567), mine), true);
  assert.equal(isShardOf(shardKey('cd'.repeat(32), 3), mine), false);
  assert.equal(isShardOf(shardKey(other, 3), mine), true);
});
