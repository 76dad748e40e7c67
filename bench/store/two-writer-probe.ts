/**
 * Several processes writing one embedded collection, as worker processes do: run it once per writer,
 * at the same time, on one folder. Each appends `writes` shards of 1,000 64-d rows through a
 * LanceDbStore (two in flight, as a worker with concurrency 2) and records each in the shard ledger.
 * It prints its RSS (and V8's share) every 100 writes, each write that waited longer than 1.5 s (a
 * compaction pass, its own or another's), and every failed call, which must never happen: a failed
 * record is a shard embedded and written again.
 *
 *   for w in 0 1; do npx tsx bench/store/two-writer-probe.ts DIR $w [writes 1200] [compactEvery 2000] & done; wait
 */
import { LanceDbStore, toRecordBatch } from '@embedline/store';

const [dir, writerArg, writesArg, everyArg] = process.argv.slice(2);
if (dir === undefined || writerArg === undefined) {
  console.error('usage: two-writer-probe.ts DIR WRITER [writes 1200] [compactEvery 2000]');
  process.exit(2);
}
const writer = Number(writerArg);
const writes = Number(writesArg ?? 1200);
const compactEveryVersions = Number(everyArg ?? 2000);
const dimension = 64;
const rows = 1000;
const lanes = Number(process.env.PROBE_LANES ?? 2);
const text = 'the quick brown fox jumps over the lazy dog '.repeat(8);

const store = new LanceDbStore({ uri: dir, compactEveryVersions });
await store.createCollection('c', { dimension });
let failures = 0;
let next = 0;
await Promise.all(Array.from({ length: lanes }, writeShards));
console.log(
  `writer ${writer} done: ${failures} failed calls, ${store.connectionsReplaced} connections replaced, ${memory()}`,
);
await store.close();

async function writeShards(): Promise<void> {
  for (let shard = next++; shard < writes; shard = next++) {
    const started = performance.now();
    await attempt('upsert', shard, () => store.upsert('c', shardBatch(shard), { firstWrite: true }));
    const ms = performance.now() - started;
    if (ms > 1500)
      console.log(`writer ${writer} shard ${shard}: write took ${ms.toFixed(0)} ms, ${memory()}`);
    await attempt('recordShard', shard, () => store.recordShard('c', `w${writer}-${shard}`, rows));
    if ((shard + 1) % 100 === 0) console.log(`writer ${writer}: ${shard + 1} shards, ${memory()}`);
  }
}

function shardBatch(shard: number) {
  const ids = Array.from({ length: rows }, (_, i) => String(writer * 1e9 + shard * rows + i));
  const vectors = new Float32Array(rows * dimension).fill(1 / Math.sqrt(dimension));
  return toRecordBatch({
    ids,
    vectors,
    dimension,
    texts: ids.map(() => text),
    payloads: ids.map(() => null),
  });
}

async function attempt(what: string, shard: number, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    failures++;
    console.log(`writer ${writer} shard ${shard}: ${what} FAILED: ${String(error).slice(0, 300)}`);
  }
}

function memory(): string {
  const { rss, heapTotal, external } = process.memoryUsage();
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  return `rss ${mib(rss)} MiB (V8 heap ${mib(heapTotal)}, external ${mib(external)})`;
}
