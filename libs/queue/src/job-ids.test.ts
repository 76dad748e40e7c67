import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEmbeddedWith, isShardOf, sealJobId, shardJobId, shardJobIdPrefix, shardKey } from './job-ids.ts';

test("isShardOf tells a corpus's shard keys from another corpus's", () => {
  const mine = 'ab'.repeat(32);
  const other = 'ab'.repeat(8) + 'cd'.repeat(24); // same first 16 characters: the key keeps only those
  assert.equal(isShardOf(shardKey(mine, 0), mine), true);
  assert.equal(isShardOf(shardKey(mine, 1234567), mine), true);
  assert.equal(isShardOf(shardKey('cd'.repeat(32), 3), mine), false);
  assert.equal(isShardOf(shardKey(other, 3), mine), true);
});

test('a shard key says how the shard was embedded: text alone (keys as before titles), or title + text from a named field', () => {
  const mine = 'ab'.repeat(32);
  assert.equal(shardKey(mine, 12), 'abababababababab-0000012');
  assert.match(shardKey(mine, 12, 'title'), /^abababababababab-t[0-9a-f]{8}-0000012$/);
  assert.notEqual(shardKey(mine, 12, 'title'), shardKey(mine, 12, 'heading'));
  assert.equal(isShardOf(shardKey(mine, 3, 'title'), mine), true);
  assert.equal(shardJobId('c', mine, 3, 'title'), `shard-c-${shardKey(mine, 3, 'title')}`);
  for (const [field, other] of [
    [undefined, 'title'],
    ['title', undefined],
    ['title', 'heading'],
  ] as const) {
    assert.equal(isEmbeddedWith(shardKey(mine, 1234567, field), mine, field), true, `${field}`);
    assert.equal(isEmbeddedWith(shardKey(mine, 1234567, other), mine, field), false, `${other} as ${field}`);
  }
  assert.equal(isEmbeddedWith(shardKey(mine, 12345678, 'title'), mine, 'title'), true); // past 7 digits
});

test("every shard job id of an ingest starts with its prefix, and no other ingest's does (status counts by it)", () => {
  const fingerprint = 'ab'.repeat(32);
  const prefix = shardJobIdPrefix('docs', fingerprint);
  for (const title of [undefined, 'title']) {
    for (const index of [0, 7, 1_234_567])
      assert.ok(shardJobId('docs', fingerprint, index, title).startsWith(prefix));
  }
  assert.ok(
    !shardJobId('docs-v2', fingerprint, 0).startsWith(prefix),
    'a collection whose name extends this one',
  );
  assert.ok(!shardJobId('docs', 'cd'.repeat(32), 0).startsWith(prefix), 'another corpus');
  assert.ok(!sealJobId('docs', fingerprint).startsWith(prefix), 'the seal');
});
