/**
 * The API under benchmark, in its own process (as production runs it, and so that autocannon's load
 * generation does not share this event loop): @embedline/http over the cached LanceDB index and the
 * model the index was embedded with. Settings come as JSON in BENCH_API_SETTINGS; prints
 * `listening <url>` on stdout when ready and closes on SIGTERM.
 */
import { pino } from 'pino';
import { Encoder } from '@embedline/encoder';
import { buildApiServer } from '@embedline/http';
import { createRedisConnection } from '@embedline/queue';
import { LanceDbStore } from '@embedline/store';

export interface ServerSettings {
  readonly modelDir: string;
  readonly lancedbUri: string;
  readonly collection: string;
  readonly redisUrl: string;
  readonly readKey: string;
  /** EMBEDLINE_API_BATCH_WAIT_MS / EMBEDLINE_API_BATCH_MAX_TEXTS: max 1 text = one request per inference call. */
  readonly batchWaitMs: number;
  readonly batchMaxTexts: number;
  readonly intraOpThreads: number;
  /** EMBEDLINE_API_MEMORY_INDEX_MIB: 0 searches every query in LanceDB. */
  readonly memoryIndexMiB: number;
}

const settings = JSON.parse(process.env.BENCH_API_SETTINGS ?? '') as ServerSettings;
const quiet = pino({ level: 'silent' });

const encoder = await Encoder.load(
  { modelDir: settings.modelDir, intraOpThreads: settings.intraOpThreads },
  { info: () => undefined, warn: (m) => console.error(m) },
);
const store = new LanceDbStore({ uri: settings.lancedbUri });
const redis = createRedisConnection(settings.redisUrl, { failFast: true });
const server = await buildApiServer(
  { encoder, store, redis, queuePrefix: 'bench-api', logger: quiet },
  {
    readKeys: [settings.readKey],
    adminKeys: [],
    corsOrigins: [],
    // The benchmark measures the encoder and store, not the rate limiter's refusals.
    rateLimitPerMinute: 100_000_000,
    defaultCollection: settings.collection,
    maxQueryChars: 2048,
    maxBatchQueries: 64,
    bodyLimit: 1_048_576,
    batchWaitMs: settings.batchWaitMs,
    batchMaxTexts: settings.batchMaxTexts,
    // Off: every request is encoded, so the figures are the encoder's, not the cache's.
    queryCacheSize: 0,
    memoryIndexBytes: settings.memoryIndexMiB * 2 ** 20,
  },
);

process.once('SIGTERM', () => {
  void (async () => {
    await server.close();
    await encoder.close();
    await store.close();
    redis.disconnect();
    process.exit(0);
  })();
});

const url = await server.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${url}`);
