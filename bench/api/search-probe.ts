/**
 * LanceDB search time per query on a synthetic collection (random unit vectors, finalized: IVF-PQ from
 * 10k rows): one at a time, 32 at once, and 32 vectors in one multi-vector query (`addQueryVector`).
 * Quiet 2-core machine, 10k x 768: 24 ms one at a time, 15 ms at 32 concurrent, 14 ms multi-vector.
 *
 *   npx tsx bench/api/search-probe.ts [dim 64] [rows 100000]
 */
import { rmSync } from 'node:fs';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
const dim = Number(process.argv[2] ?? 64),
  n = Number(process.argv[3] ?? 100000);
const dir = '/tmp/search-probe';
rmSync(dir, { recursive: true, force: true });
const store = new LanceDbStore({ uri: dir });
await store.createCollection('c', { dimension: dim });
const rnd = (k: number) => {
  const v = new Float32Array(k * dim);
  for (let i = 0; i < v.length; i++) v[i] = Math.random() - 0.5;
  for (let r = 0; r < k; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[r * dim + j]! ** 2;
    s = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[r * dim + j]! /= s;
  }
  return v;
};
for (let b = 0; b < n; b += 10000) {
  const ids = Array.from({ length: 10000 }, (_, i) => String(b + i));
  await store.upsert(
    'c',
    toRecordBatch({
      ids,
      vectors: rnd(10000),
      dimension: dim,
      texts: ids.map((i) => `passage ${i}`),
      payloads: ids.map(() => null),
    }),
  );
}
let t = performance.now();
await store.finalize('c');
console.log('finalize', (performance.now() - t).toFixed(0), 'ms');
const qs = rnd(256);
const q = (i: number) => qs.subarray(i * dim, (i + 1) * dim);
for (let i = 0; i < 8; i++) await store.search('c', q(i), { topK: 10 });
t = performance.now();
for (let i = 0; i < 256; i++) await store.search('c', q(i), { topK: 10, withPayload: true });
console.log('sequential', ((performance.now() - t) / 256).toFixed(2), 'ms/query');
t = performance.now();
for (let i = 0; i < 256; i += 32)
  await Promise.all(
    Array.from({ length: 32 }, (_, j) => store.search('c', q(i + j), { topK: 10, withPayload: true })),
  );
console.log('32 concurrent', ((performance.now() - t) / 256).toFixed(2), 'ms/query');
// raw multi-vector query
const table = await (await import('@lancedb/lancedb')).connect(dir).then((db) => db.openTable('c'));
t = performance.now();
for (let i = 0; i < 256; i += 32) {
  let query = table
    .vectorSearch(q(i))
    .distanceType('dot')
    .select(['id', '_distance', 'text', 'payload'])
    .limit(18)
    .nprobes(40)
    .refineFactor(10);
  for (let j = 1; j < 32; j++) query = query.addQueryVector(q(i + j));
  const rows = await query.toArray();
  if (i === 0) console.log('multi rows', rows.length, Object.keys(rows[0]));
}
console.log('multi-vector x32', ((performance.now() - t) / 256).toFixed(2), 'ms/query');
await store.close();
