/**
 * embedline-worker: one process per GPU (or one for the CPU). Loads the encoder once, then embeds
 * shard jobs from the queue into the vector store until SIGTERM/SIGINT, when it finishes the shards
 * in hand and exits cleanly. It also finalizes ingests, unless `--queues` says otherwise: a fleet runs
 * its GPU workers on `shards` and one worker, with no model loaded, on `finalize`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  createLogger,
  loadEnv,
  nonNegativeIntFlag,
  onShutdown,
  portFlag,
  positiveIntFlag,
  workerQueuesSchema,
  type EmbedlineEnv,
} from '@embedline/config';
import { openEncoder, type Encoder } from '@embedline/encoder';
import { buildOpsServer } from '@embedline/ops';
import {
  WorkerMetrics,
  defaultShardConcurrency,
  startShardWorkers,
  type ShardWorkers,
  type WorkerQueue,
} from '@embedline/pipeline';
import {
  REDIS_FLAG_NAMES,
  RedisUnreachableError,
  checkRedisSettings,
  createRedisConnection,
  waitForRedis,
  type RedisClient,
  type RedisSettings,
} from '@embedline/queue';
import { checkStoreWritable, openStore, type VectorStore } from '@embedline/store';

/** Reads the environment inside the catch below, so a bad setting is one line, never a stack trace. */
async function main(argv: string[]): Promise<void> {
  const env = loadEnv();
  await program(env).parseAsync(argv);
}

function program(env: EmbedlineEnv): Command {
  return new Command('embedline-worker')
    .description('Embed shard jobs from the queue into the vector store.')
    .option('--redis <url>', 'Redis URL; with --redis-cluster, comma-separated seed node URLs (EMBEDLINE_REDIS_URL)', env.EMBEDLINE_REDIS_URL)
    .option('--redis-cluster', 'Redis is a Redis Cluster; needs a {hash tag} prefix (EMBEDLINE_REDIS_CLUSTER)', env.EMBEDLINE_REDIS_CLUSTER)
    .option('--prefix <prefix>', 'queue key prefix, e.g. {embedline} on a cluster (EMBEDLINE_QUEUE_PREFIX)', env.EMBEDLINE_QUEUE_PREFIX)
    .option('--model-dir <dir>', 'sentence-transformers model folder (EMBEDLINE_MODEL_DIR)', env.EMBEDLINE_MODEL_DIR)
    .option('--variant <name>', 'ONNX variant (EMBEDLINE_MODEL_VARIANT)', env.EMBEDLINE_MODEL_VARIANT)
    .addOption(
      new Option('--provider <cpu|cuda|auto>', 'execution provider (EMBEDLINE_PROVIDER; auto = the GPU when usable)')
        .choices(['cpu', 'cuda', 'auto'])
        .default(env.EMBEDLINE_PROVIDER),
    )
    .option('--device-id <n>', 'GPU ordinal (EMBEDLINE_DEVICE_ID)', nonNegativeIntFlag, env.EMBEDLINE_DEVICE_ID)
    .option('--max-batch-tokens <n>', 'token budget per inference call (EMBEDLINE_MAX_BATCH_TOKENS)', positiveIntFlag, env.EMBEDLINE_MAX_BATCH_TOKENS)
    .option('--inference-threads <n>', 'onnxruntime sessions in this process; 2-4 on a GPU (EMBEDLINE_INFERENCE_THREADS)', positiveIntFlag, env.EMBEDLINE_INFERENCE_THREADS)
    .option('--tokenizer-threads <n>', 'threads that tokenize, 0 = this one; 8 on a GPU (EMBEDLINE_TOKENIZER_THREADS)', nonNegativeIntFlag, env.EMBEDLINE_TOKENIZER_THREADS)
    .option('--queues <list>', 'queues to consume: shards (embedding, loads the model), finalize (no model), or both (EMBEDLINE_WORKER_QUEUES)', queueList, env.EMBEDLINE_WORKER_QUEUES)
    .option('--concurrency <n>', 'shards in flight (EMBEDLINE_WORKER_CONCURRENCY; default 2 per inference thread)', positiveIntFlag, env.EMBEDLINE_WORKER_CONCURRENCY)
    .option('--metrics-port <n>', 'serve /healthz, /readyz and /metrics on this port; 0 = a free one (EMBEDLINE_WORKER_METRICS_PORT; default none)', portFlag, env.EMBEDLINE_WORKER_METRICS_PORT)
    .option('--metrics-host <host>', 'address the metrics port binds (EMBEDLINE_WORKER_METRICS_HOST)', env.EMBEDLINE_WORKER_METRICS_HOST)
    .option('--export <dir>', 'also write each shard as Arrow IPC and Parquet files here, DIR/<collection>/<shard>.{arrow,parquet} (EMBEDLINE_EXPORT_DIR)', env.EMBEDLINE_EXPORT_DIR)
    .action((flags: WorkerFlags) => run(flags, env));
}

interface WorkerFlags {
  redis: string;
  redisCluster: boolean;
  prefix: string;
  modelDir?: string;
  variant: string;
  provider: 'cpu' | 'cuda' | 'auto';
  deviceId: number;
  maxBatchTokens: number;
  inferenceThreads: number;
  tokenizerThreads: number;
  queues: WorkerQueue[];
  concurrency?: number;
  metricsPort?: number;
  metricsHost: string;
  export?: string;
}

async function run(flags: WorkerFlags, env: EmbedlineEnv): Promise<void> {
  const redis = { url: flags.redis, cluster: flags.redisCluster, prefix: flags.prefix };
  checkRedisSettings(redis, REDIS_FLAG_NAMES); // before the model loads: a bad setting fails at once
  await checkStoreWritable(env); // every worker writes the store (shards, or finalize)
  const log = createLogger('worker');
  const metrics = new WorkerMetrics();
  // Up before the model loads (minutes for a large one): liveness answers meanwhile, readiness says "loading".
  const started: { encoder?: Encoder; store?: VectorStore; connection?: RedisClient; workers?: ShardWorkers } = {};
  const embedding = flags.queues.includes('shards');
  const ops = await startOpsServer(flags, metrics, {
    ...(embedding ? { model: () => started.encoder ?? Promise.reject(new Error('the model is still loading')) } : {}),
    redis: () => started.connection?.ping() ?? Promise.reject(new Error('not connected yet')),
    store: () => started.store?.listCollections() ?? Promise.reject(new Error('not opened yet')),
    queue: () => started.workers ?? Promise.reject(new Error('not consuming jobs yet')),
  });
  if (ops !== undefined) log.info(`worker operations server on ${ops.address} (/healthz, /readyz, /metrics)`);
  const encoder = embedding ? (started.encoder = await loadEncoder(flags, env, log)) : undefined;
  const store = (started.store = await openStore(env));
  const connection = (started.connection = await connectWhenRedisAnswers(redis, log));
  const concurrency = flags.concurrency ?? defaultShardConcurrency(flags.inferenceThreads);
  const workers = (started.workers = startShardWorkers({
    connection,
    prefix: flags.prefix,
    queues: flags.queues,
    encoder,
    store,
    concurrency,
    exportDir: flags.export,
    lockDurationMs: env.EMBEDLINE_LOCK_DURATION_MS,
    metrics,
    log,
  }));
  const consuming = embedding ? `${concurrency} shards in flight` : 'no model loaded';
  log.info(`worker ready: queue prefix ${flags.prefix}${redis.cluster ? ' on a Redis Cluster' : ''}, consuming ${flags.queues.join(' and ')} (${consuming})`);
  // A drain cut short loses nothing: unfinished shards are re-run by another worker once their locks expire.
  onShutdown(log, { draining: 'finishing the shards in hand', graceMs: 120_000 }, async () => {
    delete started.workers; // not ready while draining
    await workers.close();
    await ops?.close();
    await encoder?.close();
    await store.close();
    await connection.quit();
  });
}

function loadEncoder(flags: WorkerFlags, env: EmbedlineEnv, log: ReturnType<typeof createLogger>): Promise<Encoder> {
  const { modelDir, variant, provider, deviceId, maxBatchTokens, inferenceThreads, tokenizerThreads } = flags;
  return openEncoder(env, {
    log,
    overrides: { modelDir, variant, provider, deviceId, maxBatchTokens, inferenceThreads, tokenizerThreads },
  });
}

/**
 * A connection once Redis answers. Until then the worker consumes nothing and says so every 10 s, naming
 * the setting and the error (its /readyz says Redis is not connected), instead of claiming to be ready
 * while ioredis prints a stack trace per reconnect.
 */
async function connectWhenRedisAnswers(redis: RedisSettings, log: ReturnType<typeof createLogger>): Promise<RedisClient> {
  for (;;) {
    const connection = createRedisConnection(redis.url, { cluster: redis.cluster });
    try {
      await waitForRedis(connection, redis.url, { name: REDIS_FLAG_NAMES.url, timeoutMs: 10_000 });
      return connection;
    } catch (error) {
      if (!(error instanceof RedisUnreachableError)) throw error;
      log.warn(`${error.message} Waiting for it: no job is consumed until it answers.`);
    }
  }
}

/** --queues takes what EMBEDLINE_WORKER_QUEUES takes, parsed by the same schema. */
function queueList(value: string): WorkerQueue[] {
  const parsed = workerQueuesSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidArgumentError(`expected shards, finalize or both (comma-separated), got "${value}"`);
  }
  return parsed.data;
}

/** The operations endpoints, when a port is set; a port that cannot be bound stops the worker with one line. */
async function startOpsServer(
  flags: WorkerFlags,
  metrics: WorkerMetrics,
  readiness: Record<string, () => unknown>,
): Promise<{ address: string; close(): Promise<void> } | undefined> {
  if (flags.metricsPort === undefined) return undefined;
  const server = buildOpsServer({ registry: metrics.registry, readiness });
  try {
    const address = await server.listen({ host: flags.metricsHost, port: flags.metricsPort });
    return { address, close: () => server.close() };
  } catch (error) {
    throw new Error(
      `--metrics-port (EMBEDLINE_WORKER_METRICS_PORT) ${flags.metricsPort} on ${flags.metricsHost}: ${(error as Error).message}`,
    );
  }
}

main(process.argv).catch((error: unknown) => {
  console.error(`embedline-worker: ${(error as Error).message}`);
  process.exit(1);
});
