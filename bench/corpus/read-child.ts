/**
 * One measurement of bench/corpus/read.ts, in its own process so its peak RSS is its own:
 *
 *   node --import tsx bench/corpus/read-child.ts MODE PATH SHARD_SIZE
 *
 * MODE `read`: `openCorpus(path).read()` to the end (dedupe on, as the producer reads), counting records
 * and rejects. `plan-inline` / `plan-range`: `planShards(path, { shardSize, inline })` to the end, as
 * apps/producer's ingest runs it (each shard is dropped once counted, as the producer drops it once
 * enqueued). `baseline`: the same imports and nothing else (the process's own floor).
 * Prints one JSON line: {mode, records, rejects, shards, seconds, maxRssKiB, cpuSeconds}. The clock runs
 * from before openCorpus to the last record.
 */
import { performance } from 'node:perf_hooks';
import { openCorpus } from '@embedline/corpus';
import { planShards } from '@embedline/pipeline';

const [mode, path, shardSizeText] = process.argv.slice(2);
let records = 0;
let rejects = 0;
let shards = 0;
const started = performance.now();
if (mode === 'read') {
  const corpus = await openCorpus(path!);
  for await (const result of corpus.read()) {
    if (result.ok) records += 1;
    else rejects += 1;
  }
} else if (mode === 'plan-inline' || mode === 'plan-range') {
  const plan = planShards(path!, {
    shardSize: Number(shardSizeText),
    inline: mode === 'plan-inline',
    onReject: () => {
      rejects += 1;
    },
  });
  for await (const shard of plan) {
    shards += 1;
    records += shard.records;
  }
} else if (mode !== 'baseline') {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = (performance.now() - started) / 1000;
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    mode,
    records,
    rejects,
    shards,
    seconds,
    // resourceUsage().maxRSS is in KiB (getrusage's ru_maxrss on Linux).
    maxRssKiB: usage.maxRSS,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  }),
);
