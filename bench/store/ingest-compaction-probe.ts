/**
 * Does compacting during an ingest keep the embedded store's writes flat? Appends `writes` shards of
 * `rows` 64-d rows through one LanceDbStore, as a worker does (ledger records included), with the
 * store's `compactEveryVersions` set to `compactEvery` (0: only finalize would compact). Prints ms per
 * write and per ledger record, the passes' time, RSS, fragments and versions every 500 writes.
 *
 *   npx tsx bench/store/ingest-compaction-probe.ts [rows 1000] [writes 4000] [compactEvery 2000]
 */
import { rmSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { LanceDbStore, toRecordBatch } from '@embedline/store';

const dimension = 64;
const rows = Number(process.argv[2] ?? 1000);
const writes = Number(process.argv[3] ?? 4000);
const compactEvery = Number(process.argv[4] ?? 2000);
const dir = '/tmp/ingest-compaction-probe';
rmSync(dir, { recursive: true, force: true });
const store = new LanceDbStore({ uri: dir, compactEveryVersions: compactEvery });
await store.createCollection('c', { dimension });
const text = 'the quick brown fox jumps over the lazy dog '.repeat(8);
let writeMs = 0;
let ledgerMs = 0;
let compactMs = 0;
let t0 = performance.now();
for (let w = 0; w < writes; w++) {
  const ids = Array.from({ length: rows }, (_, i) => String(w * rows + i));
  const batch = toRecordBatch({
    ids,
    vectors: new Float32Array(rows * dimension).fill(0.01),
    dimension,
    texts: ids.map(() => text),
    payloads: ids.map(() => null),
  });
  let t = performance.now();
  await store.upsert('c', batch, { firstWrite: true });
  // Write w commits version w + 2 (the empty table is version 1): the store compacts on multiples.
  if (compactEvery > 0 && (w + 2) % compactEvery === 0) compactMs += performance.now() - t;
  else writeMs += performance.now() - t;
  t = performance.now();
  await store.recordShard('c', `s${w}`, rows);
  ledgerMs += performance.now() - t;
  if ((w + 1) % 500 === 0) {
    const db = await lancedb.connect(dir);
    const table = await db.openTable('c');
    const stats = await table.stats();
    const versions = (await table.listVersions()).length;
    table.close();
    db.close();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${(w + 1) * rows} rows: ${(writeMs / 500).toFixed(1)} ms/write, ledger ${(ledgerMs / 500).toFixed(1)} ms, writes with a pass ${(compactMs / 1000).toFixed(1)} s, ` +
        `${Math.round((500 * rows) / seconds)} rows/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, ` +
        `${stats.fragmentStats.numFragments} fragments, ${versions} versions`,
    );
    writeMs = ledgerMs = compactMs = 0;
    t0 = performance.now();
  }
}
await store.close();
