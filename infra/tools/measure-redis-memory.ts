/**
 * Measures what a waiting shard job costs in Redis, for docs/operations.md: enqueues N shard jobs of
 * a synthetic MS MARCO-shaped corpus (no worker runs, so every job stays waiting) into a private
 * redis-server, and reads INFO memory before and after. Run: `npx tsx infra/tools/measure-redis-memory.ts`.
 *
 * Uses the real `ingestCorpus` (the producer's code path), once with range shards (the default: a job
 * holds a byte range of the corpus) and once with `--inline` shards (a job holds its passages).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ingestCorpus, type IngestOptions } from '@embedline/pipeline';

const PASSAGES = Number(process.env.PASSAGES ?? 100_000);
const SHARD_SIZE = Number(process.env.SHARD_SIZE ?? 1000);
/** MS MARCO passages average ~56 words / ~335 characters. */
const WORDS_PER_PASSAGE = 56;

/** Nothing is done yet: the ledger of a fresh collection. */
/** No store behind the measurement: nothing done yet, no collection yet. */
const emptyStore: IngestOptions['store'] = {
  completedShards: async () => new Map(),
  describe: async () => undefined,
} as unknown as IngestOptions['store'];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-redis-mem-'));
  const corpus = join(dir, 'collection.tsv');
  await writeCorpus(corpus);
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rows = [];
    for (const inline of [false, true]) {
      const connection = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
      await connection.flushall();
      const before = await usedMemory(connection);
      const summary = await ingestCorpus({
        corpus,
        collection: inline ? 'inline' : 'range',
        shardSize: SHARD_SIZE,
        inline,
        highWaterMark: 1_000_000,
        addChunk: 50,
        connection,
        prefix: 'embedline',
        store: emptyStore,
      });
      const waiting = await connection.llen('embedline:shards:wait');
      const after = await usedMemory(connection);
      rows.push({
        shards: inline ? `inline, ${SHARD_SIZE} passages` : `range, ${SHARD_SIZE} passages`,
        enqueued: summary.enqueuedShards,
        waitListLength: waiting,
        usedMemoryBytes: after - before,
        bytesPerWaitingShard: Math.round((after - before) / summary.enqueuedShards),
      });
      await connection.quit();
    }
    console.log(JSON.stringify({ passages: PASSAGES, shardSize: SHARD_SIZE, rows }, null, 2));
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function usedMemory(connection: Redis): Promise<number> {
  const info = await connection.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match?.[1]) throw new Error('INFO memory has no used_memory line');
  return Number(match[1]);
}

/** Deterministic pseudo-words, so the corpus has MS MARCO's passage length without its text. */
async function writeCorpus(path: string): Promise<void> {
  const out = createWriteStream(path);
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < PASSAGES; i++) {
    const words = Array.from({ length: WORDS_PER_PASSAGE }, () =>
      next()
        .toString(36)
        .slice(0, 2 + (next() % 6)),
    );
    if (!out.write(`${i}\t${words.join(' ')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

await main();
