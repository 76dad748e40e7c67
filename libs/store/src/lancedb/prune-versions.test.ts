import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@lancedb/lancedb';
import { toRecordBatch } from '../embedded-batch.ts';
import { randomUnitVectors } from '@embedline/testing';
import { LanceDbStore } from './lancedb-store.ts';
import { pruneVersionsBefore } from './prune-versions.ts';

const DIMENSION = 8;

function shard(from: number, to: number) {
  const ids = Array.from({ length: to - from }, (_, i) => String(from + i));
  return toRecordBatch({
    ids,
    vectors: randomUnitVectors(ids.length, DIMENSION, from + 1),
    dimension: DIMENSION,
    texts: ids,
  });
}

test('pruneVersionsBefore deletes the versions committed before the cut and keeps the later ones', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'embedline-prune-'));
  const store = new LanceDbStore({ uri: folder });
  const db = await connect(folder);
  try {
    await store.createCollection('docs', { dimension: DIMENSION });
    for (let i = 0; i < 10; i++) await store.upsert('docs', shard(i * 10, i * 10 + 10));
    await new Promise((resolve) => setTimeout(resolve, 20)); // a clock tick between the two groups
    const cut = new Date();
    // The pruning call compacts these 13 fragments first and LanceDB measures the cut from its clock after
    // that (see pruneVersionsBefore), so a version committed within the compaction's time after the cut
    // may go too. That took up to ~40 ms under load: a second's gap keeps the later versions clear of it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let i = 10; i < 13; i++) await store.upsert('docs', shard(i * 10, i * 10 + 10));
    const table = await db.openTable('docs');
    const before = (await table.listVersions()).map((v) => v.version);

    const bytes = await pruneVersionsBefore(table, cut, 0);

    const after = (await table.listVersions()).map((v) => v.version);
    const latestBefore = before.at(-1)!;
    assert.ok(bytes > 0, 'the old manifests are files too');
    // The creation and ten shards came before the cut, three shards after it.
    for (const version of before.slice(0, 11))
      assert.ok(!after.includes(version), `version ${version} was kept`);
    for (const version of before.slice(-3))
      assert.ok(after.includes(version), `version ${version}, after the cut, kept`);
    assert.ok(Math.max(...after) >= latestBefore);
    assert.equal(await table.countRows(), 130);
    table.close();
  } finally {
    db.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
});

test('finalize leaves only the versions since compaction, again when a finalized collection grows', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'embedline-prune-'));
  const store = new LanceDbStore({ uri: folder, indexThreshold: 200, versionGraceMs: 0 });
  const db = await connect(folder);
  try {
    await store.createCollection('docs', { dimension: DIMENSION });
    for (let round = 0; round < 2; round++) {
      // 30 shards a round, as a bulk load commits them; the second round finds an earlier finalize's tag.
      for (let i = 0; i < 30; i++)
        await store.upsert('docs', shard(round * 300 + i * 10, round * 300 + i * 10 + 10));
      await store.finalize('docs');
      const table = await db.openTable('docs');
      const versions = await table.listVersions();
      assert.ok(versions.length <= 5, `round ${round}: ${versions.length} versions left`);
      const info = await store.describe('docs');
      assert.equal(info?.finalized, true);
      assert.equal(info?.count, (round + 1) * 300);
      assert.equal(info?.version, versions.at(-1)?.version, 'the tag is on the latest version');
      const [top] = await store.search('docs', randomUnitVectors(1, DIMENSION, round * 300 + 291), {
        topK: 1,
      });
      assert.equal(top?.id, String(round * 300 + 290));
      table.close();
    }
    const version = (await store.describe('docs'))?.version;
    await store.finalize('docs');
    assert.equal((await store.describe('docs'))?.version, version, 'finalizing again changes nothing');
  } finally {
    db.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
});
