import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type Connection, type Table } from '@lancedb/lancedb';
import { randomUnitVectors } from '@embedline/testing';
import { toRecordBatch } from '../embedded-batch.ts';
import { compactDuringIngest, ingestPassDue } from './compact-during-ingest.ts';
import { LanceDbStore, type LanceDbStoreOptions } from './lancedb-store.ts';

const DIMENSION = 8;

function shard(index: number, rows = 10) {
  const ids = Array.from({ length: rows }, (_, i) => String(index * rows + i));
  return toRecordBatch({
    ids,
    vectors: randomUnitVectors(rows, DIMENSION, index + 1),
    dimension: DIMENSION,
    texts: ids,
  });
}

/** A store in a fresh folder, a second connection to inspect its tables, and the cleanup of both. */
async function withStore(
  options: Omit<LanceDbStoreOptions, 'uri'>,
  use: (store: LanceDbStore, db: Connection) => Promise<void>,
): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'embedline-ingest-compaction-'));
  const store = new LanceDbStore({ uri: folder, ...options });
  const db = await connect(folder);
  try {
    await use(store, db);
  } finally {
    db.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
}

async function fragments(db: Connection, name: string): Promise<number> {
  const table = await db.openTable(name);
  try {
    return (await table.stats()).fragmentStats.numFragments;
  } finally {
    table.close();
  }
}

test('the write that commits a multiple of compactEveryVersions compacts the table; 0 leaves it to finalize', async () => {
  for (const every of [10, 0]) {
    await withStore({ compactEveryVersions: every }, async (store, db) => {
      await store.createCollection('docs', { dimension: DIMENSION }); // version 1
      for (let i = 0; i < 25; i++) await store.upsert('docs', shard(i), { firstWrite: i % 2 === 0 }); // 2..26

      // With passes, one fragment for the rows before the last pass and one per write since (fewer than
      // 10: a pass's own commits take versions too); without, one per write.
      const left = await fragments(db, 'docs');
      if (every === 0) assert.equal(left, 25);
      else assert.ok(left <= every, `${left} fragments left with compactEveryVersions ${every}`);
      assert.equal(await store.count('docs'), 250);
      const [top] = await store.search(
        'docs',
        randomUnitVectors(10, DIMENSION, 8).subarray(3 * DIMENSION, 4 * DIMENSION),
        {
          topK: 1,
        },
      );
      assert.equal(top?.id, '73', 'rows moved by the passes are found with their vectors');
    });
  }
});

test('ingestPassDue: a multiple of everyVersions, or a row count carried past a multiple of everyRows', async () => {
  let counts = 0;
  const tableWith = (rows: number) => ({
    countRows: async () => {
      counts += 1;
      return rows;
    },
  });
  const schedule = { everyVersions: 2000, everyRows: 1_000_000 };
  const due = (rows: number, version: number, rowsAdded: number, s = schedule) =>
    ingestPassDue(tableWith(rows), { version, rowsAdded }, s);

  assert.equal(await due(5_000, 4000, 1000), true, 'version 4000');
  assert.equal(await due(1_000_000, 999, 1000), true, '999,000 -> 1,000,000 reaches the bound');
  assert.equal(await due(1_000_999, 1000, 1000), true, '999,999 -> 1,000,999 crosses it');
  assert.equal(await due(1_001_000, 1001, 1000), false, 'the write after it');
  assert.equal(await due(2_004_000, 401, 5000), true, 'shards of 5,000 rows: a pass per ~200 writes');
  assert.equal(await due(999_000, 999, 0), false, 'a write that added no rows (a retried shard merged)');
  counts = 0;
  assert.equal(await due(1_000_000, 999, 1000, { everyVersions: 2000, everyRows: 0 }), false, 'no row bound');
  assert.equal(await due(5_000, 4000, 1000, { everyVersions: 0, everyRows: 0 }), false, 'no passes at all');
  assert.equal(counts, 0, 'without a row bound the rows are not counted');
});

test('the write that carries the row count past a multiple of compactEveryRows compacts the table', async () => {
  await withStore({ compactEveryVersions: 0, compactEveryRows: 45 }, async (store, db) => {
    await store.createCollection('docs', { dimension: DIMENSION });
    for (let i = 0; i < 4; i++) await store.upsert('docs', shard(i), { firstWrite: true }); // 40 rows
    assert.equal(await fragments(db, 'docs'), 4, 'no pass before the bound');
    await store.upsert('docs', shard(3)); // the same rows merged again (rewritten): none added, no pass
    assert.equal(await fragments(db, 'docs'), 4);
    await store.upsert('docs', shard(4)); // a merge that inserts 10 rows: 40 -> 50, past 45
    assert.equal(await fragments(db, 'docs'), 1, 'the pass merged every fragment');
    assert.equal(await store.count('docs'), 50);
  });
});

test('two writers of one folder (two worker processes) with passes: every row stored, no lock file left', async () => {
  await withStore({ compactEveryVersions: 4 }, async (store, db) => {
    const other = new LanceDbStore({ uri: store.uri, compactEveryVersions: 4 });
    try {
      await store.createCollection('docs', { dimension: DIMENSION });
      await other.createCollection('docs', { dimension: DIMENSION });
      const writes = (writer: LanceDbStore, from: number) =>
        Promise.all(
          Array.from({ length: 8 }, (_, i) => writer.upsert('docs', shard(from + i), { firstWrite: true })),
        );
      await Promise.all([writes(store, 0), writes(other, 8)]);
      assert.equal(await store.count('docs'), 160);
      assert.ok((await fragments(db, 'docs')) < 16, 'passes ran');
      assert.deepEqual(
        (await readdir(store.uri)).filter((file) => file.endsWith('.writing')),
        [],
        'the write lock is gone',
      );
    } finally {
      await other.close();
    }
  });
});

test('a pass deletes versions older than its age, keeps the rows, and clears a stale finalize tag', async () => {
  await withStore({ compactEveryVersions: 0, indexThreshold: 1_000_000 }, async (store, db) => {
    await store.createCollection('docs', { dimension: DIMENSION });
    for (let i = 0; i < 5; i++) await store.upsert('docs', shard(i));
    await store.finalize('docs'); // tags the latest version
    for (let i = 5; i < 12; i++) await store.upsert('docs', shard(i), { firstWrite: true });
    const table = await db.openTable('docs');
    try {
      const before = (await table.listVersions()).length;
      const errors: unknown[] = [];

      const outcome = await compactDuringIngest(table, (error) => errors.push(error), 0);

      assert.equal(outcome, 'compacted');
      assert.deepEqual(errors, []);
      assert.ok((await table.listVersions()).length < before / 3, 'the superseded versions are gone');
      assert.equal((await table.stats()).fragmentStats.numFragments, 1);
      assert.equal(await table.countRows(), 120);
      assert.equal((await store.describe('docs'))?.finalized, false);
      await store.finalize('docs');
      assert.equal((await store.describe('docs'))?.finalized, true, 'finalize tags the collection again');
    } finally {
      table.close();
    }
  });
});

test('a pass keeps a finalize tag that is on the latest version', async () => {
  await withStore({ compactEveryVersions: 0, indexThreshold: 1_000_000 }, async (store, db) => {
    await store.createCollection('docs', { dimension: DIMENSION });
    for (let i = 0; i < 3; i++) await store.upsert('docs', shard(i));
    await store.finalize('docs');
    const table = await db.openTable('docs');
    try {
      assert.equal(await compactDuringIngest(table, (error) => assert.fail(String(error)), 0), 'compacted');
      assert.equal((await store.describe('docs'))?.finalized, true);
    } finally {
      table.close();
    }
  });
});

test('the ledger compaction (at every 100th ledger version) deletes the ledger versions older than ingestVersionAgeMs', async () => {
  for (const [age, most] of [
    [0, 10],
    [60_000, 200],
  ] as const) {
    await withStore({ ingestVersionAgeMs: age }, async (store, db) => {
      await store.createCollection('docs', { dimension: DIMENSION });
      for (let i = 0; i < 100; i++) await store.recordShard('docs', `shard-${i}`, 10);
      const ledger = await db.openTable('docs__shards');
      const versions = (await ledger.listVersions()).length;
      ledger.close();
      assert.ok(versions <= most && versions > most / 20, `${versions} ledger versions with age ${age}`);
      assert.equal((await store.completedShards('docs')).size, 100);
    });
  }
});

test('a pass never throws: a lost race is dropped, other errors are reported', async () => {
  const failing = (message: string) =>
    ({
      tags: () => Promise.resolve({ list: () => Promise.resolve({}) }), // never finalized
      optimize: () => Promise.reject(new Error(message)),
    }) as unknown as Table;
  const reported: unknown[] = [];

  const raced = await compactDuringIngest(
    failing('lance error: Commit conflict for version 40: rewrite'),
    (e) => reported.push(e),
  );
  const cleanedUnder = await compactDuringIngest(
    failing(
      'lance error: LanceError(IO): Object at location /x/docs.lance/_versions/18446744073709551230.manifest not found',
    ),
    (e) => reported.push(e),
  );
  const broken = await compactDuringIngest(failing('No space left on device'), (e) => reported.push(e));

  assert.equal(raced, 'lost-race');
  assert.equal(cleanedUnder, 'lost-race', "another process's cleanup deleted what this pass read");
  assert.equal(broken, 'failed');
  assert.deepEqual(
    reported.map((e) => (e as Error).message),
    ['No space left on device'],
  );
});

/** Stores a shard, tags the version it made (as an operator's snapshot would), then stores another. */
async function tagBetweenWrites(store: LanceDbStore): Promise<void> {
  await store.createCollection('docs', { dimension: DIMENSION }); // version 1
  await store.upsert('docs', shard(0)); // version 2
  const db = await connect(store.uri);
  const table = await db.openTable('docs');
  await (await table.tags()).create('operator-snapshot', await table.version());
  table.close();
  db.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await store.upsert('docs', shard(1)); // version 3: a pass, which may not delete the tagged version 2
}

test('a failed pass does not fail the write that triggered it, and is reported', async () => {
  const reported: [string, unknown][] = [];
  await withStore(
    {
      compactEveryVersions: 3,
      ingestVersionAgeMs: 0,
      onCompactionError: (name, error) => reported.push([name, error]),
    },
    async (store) => {
      await tagBetweenWrites(store);
      assert.equal(await store.count('docs'), 20);
    },
  );
  assert.equal(reported.length, 1);
  assert.equal(reported[0]![0], 'docs');
  assert.match(String(reported[0]![1]), /tagged version/);
});

test('by default a failed pass is a process warning naming the collection', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await withStore({ compactEveryVersions: 3, ingestVersionAgeMs: 0 }, tagBetweenWrites);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.name, 'EmbeddedStoreWarning');
  assert.match(
    warnings[0]!.message,
    /compacting collection "docs" during the ingest failed .*tagged version/,
  );
});
