/**
 * What `LanceDbStore.finalize` adds to a process's peak RSS, by table size and vector width: writes FRAGMENTS
 * shards of ROWS rows (DIM-d random unit vectors, ~320-byte texts) through the store, then finalizes in a
 * fresh process, as the finalize worker does (`--queues finalize`): it opens the collection, counts it,
 * resets the kernel's peak-RSS mark (/proc/self/clear_refs) and finalizes. `noindex` skips the IVF-PQ build
 * (duplicate removal and compaction only). The finalizing process gets this process's environment: run it
 * with `MALLOC_ARENA_MAX=2` to measure it as infra/k8s deploys the finalize worker; with `PROBE_TRACE=1` it
 * prints its memory every 250 ms (`PROBE_TRACE=40`: every 40 ms), stamped with the wall clock so that
 * `LANCEDB_LOG=info`'s log says which step runs. Also prints what finalize left on disk (size, versions,
 * data files and index copies against those in use). Linux only.
 *
 *   npx tsx bench/store/finalize-memory-probe.ts FRAGMENTS ROWS DIM [noindex]
 *
 * Measured figures: docs/operations.md, "The embedded store (LanceDB) on one machine".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@lancedb/lancedb';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
import { randomUnitVectors } from '@embedline/testing';
import { indexCopiesOnDisk } from '../../libs/store/src/testing/index-copies.ts';
import { folderBytes } from '../folder-bytes.ts';

const COLLECTION = 'c';
const TEXT = 'lorem ipsum dolor sit amet consectetur '.repeat(8);

/** A /proc/self/status figure (kB there), in MiB. */
function statusMiB(field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

/**
 * Every `intervalMs` on stderr: the wall clock (to line up with LanceDB's log), seconds into finalize,
 * native (anonymous) and file-backed RSS, the JS heap.
 */
function traceMemory(started: number, intervalMs: number): void {
  const line = () => {
    const now = new Date();
    const seconds = ((now.getTime() - started) / 1000).toFixed(2);
    const heap = process.memoryUsage().heapTotal / 2 ** 20;
    console.error(`${now.toISOString()} ${seconds} s: anon ${statusMiB('RssAnon').toFixed(0)} MiB, file ${statusMiB('RssFile').toFixed(0)} MiB, JS heap ${heap.toFixed(0)} MiB`);
  };
  setInterval(line, intervalMs).unref();
}

/**
 * What finalize left on disk: the collection's size, the versions kept, and the data files and index copies
 * there against those the latest version uses (more on disk than in use: files no version needs any more).
 */
async function footprint(dir: string) {
  const tableDir = join(dir, `${COLLECTION}.lance`);
  const db = await connect(dir);
  const table = await db.openTable(COLLECTION);
  const versions = (await table.listVersions()).length;
  const fragmentsLeft = (await table.stats()).fragmentStats.numFragments;
  const indexes = (await table.listIndices()).length;
  table.close();
  db.close();
  return {
    storeMiB: Math.round(folderBytes(tableDir) / 2 ** 20),
    versions,
    dataFiles: readdirSync(join(tableDir, 'data')).length,
    fragmentsLeft,
    indexCopies: indexCopiesOnDisk(tableDir),
    indexes,
  };
}

async function finalizeHere(dir: string, noIndex: boolean): Promise<void> {
  const store = new LanceDbStore({ uri: dir, ...(noIndex ? { indexThreshold: Number.MAX_SAFE_INTEGER } : {}) });
  await store.count(COLLECTION);
  const before = statusMiB('VmRSS');
  writeFileSync('/proc/self/clear_refs', '5'); // peak RSS (VmHWM) := current RSS
  const started = Date.now();
  const trace = process.env['PROBE_TRACE'];
  if (trace !== undefined) traceMemory(started, Number(trace) >= 10 ? Number(trace) : 250);
  await store.finalize(COLLECTION);
  const peak = statusMiB('VmHWM');
  await store.close();
  const seconds = (Date.now() - started) / 1000;
  const disk = await footprint(dir);
  console.log(JSON.stringify({ rssBeforeMiB: Math.round(before), peakMiB: Math.round(peak), addedMiB: Math.round(peak - before), seconds, ...disk }));
}

async function write(dir: string, fragments: number, rows: number, dim: number): Promise<void> {
  const writer = new LanceDbStore({ uri: dir });
  await writer.createCollection(COLLECTION, { dimension: dim });
  for (let f = 0; f < fragments; f++) {
    const ids = Array.from({ length: rows }, (_, i) => String(f * rows + i));
    const vectors = randomUnitVectors(rows, dim, f + 1);
    await writer.upsert(COLLECTION, toRecordBatch({ ids, vectors, dimension: dim, texts: ids.map(() => TEXT) }), { firstWrite: true });
  }
  await writer.close();
}

if (process.argv[2] === '--finalize') {
  await finalizeHere(process.argv[3]!, process.argv[4] === 'noindex');
} else {
  const [fragments, rows, dim] = process.argv.slice(2, 5).map(Number) as [number, number, number];
  const noIndex = process.argv[5] === 'noindex';
  if (![fragments, rows, dim].every((n) => Number.isInteger(n) && n > 0)) {
    console.error('usage: finalize-memory-probe.ts FRAGMENTS ROWS DIM [noindex]');
    process.exit(2);
  }
  const dir = join(tmpdir(), `finalize-memory-probe-${process.pid}`);
  try {
    await write(dir, fragments, rows, dim);
    const self = fileURLToPath(import.meta.url);
    const args = ['--import', 'tsx', self, '--finalize', dir, ...(noIndex ? ['noindex'] : [])];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`the finalizing process exited ${child.status}`);
    const figures = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    const setting = { rows: fragments * rows, fragments, dim, index: !noIndex, mallocArenaMax: process.env['MALLOC_ARENA_MAX'] ?? null };
    console.log(JSON.stringify({ ...setting, ...figures }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
