/**
 * What `LanceDbStore.finalize` adds to a process's peak RSS, by table size and vector width: writes FRAGMENTS
 * shards of ROWS rows (DIM-d random unit vectors, ~320-byte texts) through the store, reopens it as a fresh
 * process would, resets the kernel's peak-RSS mark (/proc/self/clear_refs) and finalizes. `noindex` skips the
 * IVF-PQ build (compaction and duplicate removal only). Linux only.
 *
 *   npx tsx bench/store/finalize-memory-probe.ts FRAGMENTS ROWS DIM [noindex]
 *
 * Measured figures: docs/operations.md, "The embedded store (LanceDB) on one machine".
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
import { randomUnitVectors } from '@embedline/store/testing/random-vectors';

const [fragments, rows, dim] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const noIndex = process.argv[5] === 'noindex';
if (![fragments, rows, dim].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: finalize-memory-probe.ts FRAGMENTS ROWS DIM [noindex]');
  process.exit(2);
}
const dir = join(tmpdir(), `finalize-memory-probe-${process.pid}`);
const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const text = 'lorem ipsum dolor sit amet consectetur '.repeat(8);
try {
  const writer = new LanceDbStore({ uri: dir });
  await writer.createCollection('c', { dimension: dim });
  for (let f = 0; f < fragments; f++) {
    const ids = Array.from({ length: rows }, (_, i) => String(f * rows + i));
    const vectors = randomUnitVectors(rows, dim, f + 1);
    await writer.upsert('c', toRecordBatch({ ids, vectors, dimension: dim, texts: ids.map(() => text) }), { firstWrite: true });
  }
  await writer.close();
  const store = new LanceDbStore({ uri: dir, ...(noIndex ? { indexThreshold: Number.MAX_SAFE_INTEGER } : {}) });
  await store.count('c');
  const before = status('VmRSS');
  writeFileSync('/proc/self/clear_refs', '5'); // peak RSS (VmHWM) := current RSS
  const started = Date.now();
  await store.finalize('c');
  const peak = status('VmHWM');
  await store.close();
  const figures = { rows: fragments * rows, fragments, dim, index: !noIndex, rssBeforeMiB: Math.round(before) };
  console.log(JSON.stringify({ ...figures, peakMiB: Math.round(peak), addedMiB: Math.round(peak - before), seconds: (Date.now() - started) / 1000 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
