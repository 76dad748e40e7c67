/**
 * A process's memory as it records shards in a ledger: each record is a LanceDB append (a fragment);
 * without the store's periodic ledger compaction RSS grew from ~210 to ~670 MiB over 1,500 records.
 *
 *   npx tsx bench/store/ledger-probe.ts
 */
import { rmSync } from 'node:fs';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
const dir = '/tmp/ledger-probe';
rmSync(dir, { recursive: true, force: true });
const store = new LanceDbStore({ uri: dir });
await store.createCollection('c', { dimension: 4 });
await store.upsert(
  'c',
  toRecordBatch({ ids: ['1'], vectors: new Float32Array(4).fill(0.5), dimension: 4, texts: ['a'] }),
);
for (let i = 1; i <= 1500; i++) {
  await store.recordShard('c', `shard-${i}`, 1000);
  if (i % 300 === 0) console.log(i, 'shards; rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0), 'MiB');
}
await store.close();
