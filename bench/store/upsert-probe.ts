/**
 * Where the embedded store's write time goes as the table grows: building the Arrow batch, the
 * upsert (merge on id, or an append with `append`), the shard-ledger record; RSS and rows/s every 20 writes.
 *
 *   npx tsx bench/store/upsert-probe.ts [rows per write 1000] [writes 100] [metadata cache MiB 256] [merge|append]
 */
import { rmSync } from 'node:fs';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
const dim = 768,
  rowsPerBatch = Number(process.argv[2] ?? 1000),
  batches = Number(process.argv[3] ?? 100);
const dir = '/tmp/upsert-probe';
rmSync(dir, { recursive: true, force: true });
const store = new LanceDbStore({ uri: dir, metadataCacheBytes: Number(process.argv[4] ?? 256) * 2 ** 20 });
await store.createCollection('c', { dimension: dim });
const text = 'the quick brown fox jumps over the lazy dog '.repeat(8);
let t0 = performance.now();
let build = 0,
  write = 0,
  ledger = 0;
for (let b = 0; b < batches; b++) {
  const ids = Array.from({ length: rowsPerBatch }, (_, i) => String(b * rowsPerBatch + i));
  const v = new Float32Array(rowsPerBatch * dim).fill(0.01);
  let t = performance.now();
  const batch = toRecordBatch({
    ids,
    vectors: v,
    dimension: dim,
    texts: ids.map(() => text),
    payloads: ids.map(() => null),
  });
  build += performance.now() - t;
  t = performance.now();
  await store.upsert('c', batch, { firstWrite: process.argv[5] === 'append' });
  write += performance.now() - t;
  t = performance.now();
  await store.recordShard('c', `s${b}`, rowsPerBatch);
  ledger += performance.now() - t;
  if ((b + 1) % 20 === 0) {
    const n = (b + 1) * rowsPerBatch;
    console.log(
      `${n} rows: build ${(build / 20).toFixed(1)} ms, upsert ${(write / 20).toFixed(1)} ms, ledger ${(ledger / 20).toFixed(1)} ms per batch; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; ${((20 * rowsPerBatch) / ((performance.now() - t0) / 1000)).toFixed(0)} rows/s`,
    );
    build = write = ledger = 0;
    t0 = performance.now();
  }
}
await store.close();
