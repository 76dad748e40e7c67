/**
 * One timed ingest through the real pipeline, as production runs it: a private redis-server on a
 * free port, N `apps/worker` processes (each loads the encoder once), `apps/producer ingest` on a
 * TSV corpus, and the embedded LanceDB store in a temporary folder. Nothing is mocked or bypassed.
 *
 * Timing comes from the ingest manifest the pipeline itself keeps in Redis: `startedAt` (the
 * producer begins the ingest, after its process start and the corpus fingerprint), `lastDoneAt`
 * (the last shard's upsert confirmed by the store and acknowledged) and `finalizedAt` (compaction
 * and ANN index built, stored count verified). Workers are started and their models loaded before
 * the clock starts, as the encoder-only baseline loads its model before its clock starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestManifest, createRedisConnection } from '@embedline/queue';
import { PrivateRedis } from '../../test/support/private-redis.ts';
import { folderBytes } from '../folder-bytes.ts';
import type { CorpusFile } from './corpora.ts';
import { CPU_DEVICE, deviceEnv, type EncoderDevice } from './process-flags.ts';
import { steadyRate, type ProgressSample } from './steady-rate.ts';
import {
  MemorySampler,
  readProcCpuSeconds,
  readProcMemory,
  round1,
  type MemorySample,
} from './memory-sampler.ts';

const COLLECTION = 'bench';
const POLL_MS = 100;
/**
 * The finalize process's environment, as infra/k8s/worker-finalize-deployment.yaml sets it: only the
 * finalize queue, and two glibc malloc arenas (LanceDB's threads otherwise keep freed memory in up to
 * 8 per core: +223 MiB instead of +130 finalizing 1M rows, bench/store/finalize-memory-probe.ts).
 */
const FINALIZER_ENV = { EMBEDLINE_WORKER_QUEUES: 'finalize', MALLOC_ARENA_MAX: '2' };

export interface IngestRunSettings {
  readonly root: string;
  readonly corpus: CorpusFile;
  readonly modelDir: string;
  readonly workers: number;
  /** onnxruntime intra-op threads per worker process. */
  readonly threads: number;
  /** Shards in flight per worker process (EMBEDLINE_WORKER_CONCURRENCY). */
  readonly concurrency: number;
  readonly shardSize: number;
  readonly highWaterMark: number;
  readonly maxBatchTokens: number;
  /** How the workers embed (default: fp32 on the CPU, one session, tokenizing on the main thread). */
  readonly device?: EncoderDevice;
  /** Passages inside the jobs instead of byte ranges of the shared corpus file. */
  readonly inline: boolean;
  /** Write V8 CPU profiles of the producer and workers here (node --cpu-prof). */
  readonly cpuProfileDir?: string;
  /** The worker entry point: apps/worker/src/main.ts, or bench/pipeline/plumbing-worker.ts (no encoder). */
  readonly workerScript?: string;
  /**
   * Finalize in a process of its own (`apps/worker --queues finalize`, role "finalizer", no model loaded), the
   * workers on `--queues shards`: as a fleet runs (infra/k8s/worker-finalize-deployment.yaml).
   */
  readonly finalizeWorker?: boolean;
  /**
   * The workers consume the shard queue only and the run ends when the last shard is stored: no compaction, ANN
   * index or count check (finalizeSeconds is NaN). For short device sessions, where the index build of 200k rows
   * (~65 s on 16 cores) would cost more than the ingest it follows.
   */
  readonly skipFinalize?: boolean;
  readonly extraEnv?: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly log: (message: string) => void;
}

export interface ProcessUsage {
  readonly role: string;
  readonly pid: number;
  /** Peak RSS as the process reported it at exit (getrusage), else the highest VmHWM sampled. */
  readonly peakRssMiB: number;
  /** CPU seconds over the process's whole life (start-up, TypeScript compilation, model load included). */
  readonly cpuSeconds?: number;
  /** CPU seconds during the ingest only (workers: from the producer's spawn to the last shard stored). */
  readonly ingestCpuSeconds?: number;
}

export interface IngestRunResult {
  readonly passages: number;
  readonly shards: number;
  readonly workers: number;
  /** Manifest startedAt -> lastDoneAt: every passage embedded, stored and acknowledged. */
  readonly ingestSeconds: number;
  /** Producer spawned -> lastDoneAt: adds the producer's process start and the corpus fingerprint. */
  readonly wallSeconds: number;
  /** Producer spawned -> producer exited (every shard enqueued; it waits on the high-water mark). */
  readonly producerSeconds: number;
  /** lastDoneAt -> finalizedAt: compaction, ANN index, count check (NaN with skipFinalize). */
  readonly finalizeSeconds: number;
  /** startedAt -> firstDoneAt: latency to the first stored shard. */
  readonly firstShardSeconds: number;
  readonly passagesPerSecond: number;
  readonly passagesPerSecondPerWorker: number;
  /**
   * Passages/s from 10% to 90% of the corpus stored (steady-rate.ts: without the run's start and tail), from the
   * manifest's done count polled every 100 ms. NaN when the samples cannot tell (a run of a few large shards).
   */
  readonly steadyPassagesPerSecond: number;
  readonly processes: readonly ProcessUsage[];
  /** Redis's own peak (INFO used_memory_peak) and CPU over the ingest. */
  readonly redis: {
    readonly usedMemoryPeakMiB: number;
    readonly peakRssMiB: number;
    readonly cpuSeconds: number;
  };
  readonly storeMiB: number;
  /**
   * Shard job attempts that failed and were retried, over all workers: each one is a shard embedded and
   * written again, a cost the rates hide (a shard ledger race once failed one every few hundred shards).
   */
  readonly retriedShardAttempts: number;
  readonly memoryCurve: readonly MemorySample[];
  readonly cpuProfiles?: Record<string, string>;
}

/** What libs/pipeline's shard workers log for an attempt that failed and will be retried (shard-workers.ts). */
const RETRY_LOG_LINE = /^.*shard job .* failed \(attempt \d+\), will retry/;

interface Child {
  readonly role: string;
  readonly process: ChildProcess;
  output: string;
  /** The output's last line while it is incomplete, and the retry lines counted so far. */
  partialLine: string;
  retriedAttempts: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  // The benchmark died mid-run: take down the processes it started (by handle, no broad kill).
  for (const child of live) child.kill('SIGKILL');
});

export async function runIngest(settings: IngestRunSettings): Promise<IngestRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-bench-'));
  const rssDir = join(dir, 'rss');
  mkdirSync(rssDir);
  const redis = await PrivateRedis.start();
  const connection = createRedisConnection(redis.url);
  const children: Child[] = [];
  try {
    const env = workerEnv(settings, redis.url, dir, rssDir);
    const redisPid = Number(/process_id:(\d+)/.exec(await connection.info('server'))?.[1]);
    const redisCpuBefore = redisCpuSeconds(await connection.info('cpu'));

    const shardsOnly = settings.finalizeWorker || settings.skipFinalize;
    const embedderEnv = shardsOnly ? { ...env, EMBEDLINE_WORKER_QUEUES: 'shards' } : env;
    for (let i = 0; i < settings.workers; i++) {
      children.push(
        startNode(settings, `worker-${i + 1}`, [settings.workerScript ?? 'apps/worker/src/main.ts'], embedderEnv),
      );
    }
    if (settings.finalizeWorker && !settings.skipFinalize) {
      children.push(startNode(settings, 'finalizer', ['apps/worker/src/main.ts'], { ...env, ...FINALIZER_ENV }));
    }
    await Promise.all(children.map((w) => waitForOutput(w, 'worker ready', 180_000)));

    const manifest = new IngestManifest(connection, env.EMBEDLINE_QUEUE_PREFIX);
    const pids = new Map<string, number>([['redis', redisPid]]);
    for (const child of children) pids.set(child.role, child.process.pid!);
    const sampler = new MemorySampler(() => pids);

    const workerCpuBefore = children.map((w) => readProcCpuSeconds(w.process.pid!) ?? NaN);
    const spawnedAt = Date.now();
    const ingestArgs = ['ingest', settings.corpus.path, '--collection', COLLECTION, '--no-progress'];
    ingestArgs.push('--rejects', join(dir, 'rejects.jsonl'), ...(settings.inline ? ['--inline'] : []));
    const producer = startNode(settings, 'producer', ['apps/producer/src/main.ts', ...ingestArgs], env);
    pids.set('producer', producer.process.pid!);
    let producerExitedAt: number | undefined;
    producer.process.once('exit', () => (producerExitedAt = Date.now()));

    const deadline = spawnedAt + settings.timeoutSeconds * 1000;
    let lastReport = 0;
    // Worker CPU when the last shard is stored, before finalize (run by one of the workers) starts.
    let workerCpuAfter: number[] | undefined;
    const progress: ProgressSample[] = [];
    for (;;) {
      const snapshot = await manifest.read(COLLECTION);
      const done = snapshot?.doneRecords ?? 0;
      progress.push({ atMs: performance.now(), stored: done });
      if (workerCpuAfter === undefined && done >= settings.corpus.passages) {
        workerCpuAfter = children.map((w) => readProcCpuSeconds(w.process.pid!) ?? NaN);
      }
      sampler.sample(done / settings.corpus.passages);
      if (snapshot?.finalizedAt !== undefined) break;
      if (settings.skipFinalize && workerCpuAfter !== undefined && snapshot?.lastDoneAt !== undefined) break;
      if (producer.process.exitCode !== null && producer.process.exitCode !== 0) {
        throw new Error(`producer exited with ${producer.process.exitCode}:\n${tail(producer.output)}`);
      }
      for (const worker of children) {
        if (worker.process.exitCode !== null || worker.process.signalCode !== null) {
          throw new Error(`${worker.role} exited unexpectedly:\n${tail(worker.output)}`);
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `ingest not finalized after ${settings.timeoutSeconds} s (${done}/${settings.corpus.passages} stored); ` +
            `last worker output:\n${tail(children[0]?.output ?? '')}`,
        );
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        settings.log(
          `  ${done.toLocaleString('en-US')}/${settings.corpus.passages.toLocaleString('en-US')} stored after ` +
            `${((Date.now() - spawnedAt) / 1000).toFixed(0)} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }

    // The producer records the accepted count when it has enqueued every shard: read the manifest after it exits.
    await exited(producer.process, 60_000);
    if (producer.process.exitCode !== 0)
      throw new Error(`producer exited with ${producer.process.exitCode}:\n${tail(producer.output)}`);
    const snapshot = (await manifest.read(COLLECTION))!;
    // Without finalize there is no stored count: the shards' own done count stands in for it.
    const stored = settings.skipFinalize ? snapshot.doneRecords : snapshot.storedCount;
    if (stored !== settings.corpus.passages || snapshot.acceptedRecords !== settings.corpus.passages) {
      throw new Error(
        `expected ${settings.corpus.passages} passages stored, manifest says accepted ${snapshot.acceptedRecords}, stored ${stored}`,
      );
    }
    const redisMemory = await connection.info('memory');
    const redisCpu = redisCpuSeconds(await connection.info('cpu')) - redisCpuBefore;
    const redisPeakRss = sampler.peakMiB.redis ?? readProcMemory(redisPid)?.hwmMiB ?? NaN;
    // SIGTERM: workers finish the shards in hand (none left) and exit, writing their peak RSS.
    await Promise.all(children.map((w) => stop(w.process)));

    const processes = [producer, ...children].map((child, i) => ({
      ...usageOf(child, rssDir, sampler.peakMiB),
      ingestCpuSeconds:
        i === 0 ? undefined : round2((workerCpuAfter?.[i - 1] ?? NaN) - workerCpuBefore[i - 1]!),
    }));
    const ingestSeconds = (snapshot.lastDoneAt! - snapshot.startedAt) / 1000;
    return {
      passages: settings.corpus.passages,
      shards: snapshot.totalShards,
      workers: settings.workers,
      ingestSeconds,
      wallSeconds: (snapshot.lastDoneAt! - spawnedAt) / 1000,
      producerSeconds: ((producerExitedAt ?? Date.now()) - spawnedAt) / 1000,
      finalizeSeconds: settings.skipFinalize ? NaN : (snapshot.finalizedAt! - snapshot.lastDoneAt!) / 1000,
      firstShardSeconds: (snapshot.firstDoneAt! - snapshot.startedAt) / 1000,
      passagesPerSecond: settings.corpus.passages / ingestSeconds,
      passagesPerSecondPerWorker: settings.corpus.passages / ingestSeconds / settings.workers,
      steadyPassagesPerSecond: steadyRate(progress, settings.corpus.passages),
      processes,
      redis: {
        usedMemoryPeakMiB: round1(Number(/used_memory_peak:(\d+)/.exec(redisMemory)?.[1] ?? NaN) / 2 ** 20),
        peakRssMiB: round1(redisPeakRss),
        cpuSeconds: Math.round(redisCpu * 100) / 100,
      },
      storeMiB: round1(folderBytes(join(dir, 'lancedb')) / 2 ** 20),
      retriedShardAttempts: children.reduce((sum, child) => sum + child.retriedAttempts, 0),
      memoryCurve: sampler.curve(),
      cpuProfiles:
        settings.cpuProfileDir === undefined
          ? undefined
          : profilesByRole([producer, ...children], settings.cpuProfileDir),
    };
  } finally {
    for (const child of children)
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    connection.disconnect();
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function workerEnv(settings: IngestRunSettings, redisUrl: string, dir: string, rssDir: string) {
  return {
    ...process.env,
    EMBEDLINE_REDIS_URL: redisUrl,
    EMBEDLINE_QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
    EMBEDLINE_STORE: 'lancedb',
    EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
    EMBEDLINE_MODEL_DIR: settings.modelDir,
    ...deviceEnv(settings.device ?? CPU_DEVICE),
    EMBEDLINE_INTRA_OP_THREADS: String(settings.threads),
    EMBEDLINE_MAX_BATCH_TOKENS: String(settings.maxBatchTokens),
    EMBEDLINE_WORKER_CONCURRENCY: String(settings.concurrency),
    EMBEDLINE_SHARD_SIZE: String(settings.shardSize),
    EMBEDLINE_HIGH_WATER_MARK: String(settings.highWaterMark),
    LOG_LEVEL: 'info',
    EMBEDLINE_BENCH_RSS_DIR: rssDir,
    ...settings.extraEnv,
  };
}

/** `node [--cpu-prof] --import tsx --import peak-rss.mjs <script> ...`, as test/support/processes.ts runs the apps. */
function startNode(settings: IngestRunSettings, role: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const profile =
    settings.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfileDir, role)}`];
  const child = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', '--import', join(settings.root, 'bench/pipeline/peak-rss.mjs'), ...args],
    { cwd: settings.root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  const record: Child = { role, process: child, output: '', partialLine: '', retriedAttempts: 0 };
  const keep = (chunk: Buffer) => {
    // Workers log a line per shard: keep the tail only, so a 1M-passage run does not grow this heap.
    const text = chunk.toString();
    record.output = (record.output + text).slice(-64_000);
    const lines = (record.partialLine + text).split('\n');
    record.partialLine = lines.pop() ?? '';
    record.retriedAttempts += lines.filter((line) => RETRY_LOG_LINE.test(line)).length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return record;
}

async function waitForOutput(child: Child, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.output.includes(text)) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.role} exited before "${text}":\n${tail(child.output)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`${child.role}: no "${text}" after ${timeoutMs} ms:\n${tail(child.output)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const done = exited(child, 60_000);
  child.kill('SIGTERM');
  await done;
}

function usageOf(child: Child, rssDir: string, sampledPeaks: Record<string, number>): ProcessUsage {
  const pid = child.process.pid!;
  try {
    const report = JSON.parse(readFileSync(join(rssDir, `${pid}.json`), 'utf8')) as {
      maxRssKiB: number;
      userCpuSeconds: number;
      systemCpuSeconds: number;
    };
    return {
      role: child.role,
      pid,
      peakRssMiB: round1(report.maxRssKiB / 1024),
      cpuSeconds: Math.round((report.userCpuSeconds + report.systemCpuSeconds) * 100) / 100,
    };
  } catch {
    return { role: child.role, pid, peakRssMiB: sampledPeaks[child.role] ?? NaN };
  }
}

function redisCpuSeconds(info: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function profilesByRole(children: readonly Child[], dir: string): Record<string, string> {
  const profiles: Record<string, string> = {};
  for (const child of children) {
    const folder = join(dir, child.role);
    try {
      for (const name of readdirSync(folder)) {
        if (name.endsWith('.cpuprofile')) profiles[`${child.role}/${name}`] = join(folder, name);
      }
    } catch {
      // this process wrote no profile (it was killed)
    }
  }
  return profiles;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const tail = (text: string): string => text.trim().split('\n').slice(-15).join('\n');
