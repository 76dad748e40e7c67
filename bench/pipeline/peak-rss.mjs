/**
 * Preloaded into each producer and worker process the benchmarks start (`node --import tsx
 * --import ./bench/pipeline/peak-rss.mjs apps/...`): when the process exits it writes its peak
 * resident set size, as the kernel counted it, and its CPU time to EMBEDLINE_BENCH_RSS_DIR/<pid>.json.
 * Sampling /proc from outside can miss a short peak; this cannot. The apps themselves are untouched.
 * Plain JavaScript: worker threads inherit --import, and must load it without a TypeScript loader.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.EMBEDLINE_BENCH_RSS_DIR;
if (isMainThread && dir !== undefined && dir !== '') {
  process.on('exit', (code) => {
    const usage = process.resourceUsage();
    const report = {
      pid: process.pid,
      exitCode: code,
      // resourceUsage().maxRSS is in KiB (getrusage's ru_maxrss on Linux).
      maxRssKiB: usage.maxRSS,
      userCpuSeconds: usage.userCPUTime / 1e6,
      systemCpuSeconds: usage.systemCPUTime / 1e6,
    };
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
  });
}
