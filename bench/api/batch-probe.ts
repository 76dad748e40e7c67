/**
 * The micro-batcher's ceiling without HTTP or a store: per-query inference time of short queries, one
 * query per encode call vs calls of 64 (2 rounds of 256 queries). Quiet 2-core machine, DistilBERT-base
 * shape, 2 intra-op threads: 21-23 ms one at a time, 9-11 ms in calls of 64 (2.0-2.5x).
 *
 *   npx tsx bench/api/batch-probe.ts [model dir] [intra-op threads] [maxBatchSize]
 */
import { Encoder } from '@embedline/encoder';
import { queryTexts } from './texts.ts';
const root = process.cwd();
const queries = queryTexts(root, 2000).slice(100, 100 + 256);
const enc = await Encoder.load({
  modelDir: process.argv[2] ?? '.cache/models/bench-distilbert-base',
  intraOpThreads: Number(process.argv[3] ?? 2),
  maxBatchSize: Number(process.argv[4] ?? 32),
});
await enc.encode(queries.slice(0, 8));
for (let rep = 0; rep < 2; rep++) {
  let t = performance.now();
  for (const q of queries) await enc.encode([q]);
  const single = (performance.now() - t) / queries.length;
  t = performance.now();
  for (let i = 0; i < queries.length; i += 64) await enc.encode(queries.slice(i, i + 64));
  const batched = (performance.now() - t) / queries.length;
  console.log(
    `ms/query: one at a time ${single.toFixed(2)}, batches of 64 ${batched.toFixed(2)}, ratio ${(single / batched).toFixed(2)}`,
  );
}
await enc.close();
