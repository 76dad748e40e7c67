/**
 * embedline-worker: one process per GPU (or one for the CPU). Loads the encoder once, then embeds
 * shard jobs from the queue into the vector store until SIGTERM/SIGINT, when it finishes the shards
 * in hand and exits cleanly.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createLogger, loadEnv, onShutdown } from '@embedline/config';
import { Encoder, resolveModel } from '@embedline/encoder';
import { startShardWorkers } from '@embedline/pipeline';
import { createRedisConnection } from '@embedline/queue';
import { openStore } from '@embedline/store';

const env = loadEnv();
const program = new Command('embedline-worker')
  .description('Embed shard jobs from the queue into the vector store.')
  .option('--redis <url>', 'Redis URL (EMBEDLINE_REDIS_URL)', env.EMBEDLINE_REDIS_URL)
  .option('--prefix <prefix>', 'queue key prefix (EMBEDLINE_QUEUE_PREFIX)', env.EMBEDLINE_QUEUE_PREFIX)
  .option('--model-dir <dir>', 'sentence-transformers model folder (EMBEDLINE_MODEL_DIR)', env.EMBEDLINE_MODEL_DIR)
  .option('--variant <name>', 'ONNX variant (EMBEDLINE_MODEL_VARIANT)', env.EMBEDLINE_MODEL_VARIANT)
  .option('--provider <cpu|cuda|auto>', 'execution provider (EMBEDLINE_PROVIDER; auto = the GPU when usable)', env.EMBEDLINE_PROVIDER)
  .option('--device-id <n>', 'GPU ordinal (EMBEDLINE_DEVICE_ID)', nonNegativeInt, env.EMBEDLINE_DEVICE_ID)
  .option('--max-batch-tokens <n>', 'token budget per inference call (EMBEDLINE_MAX_BATCH_TOKENS)', nonNegativeInt, env.EMBEDLINE_MAX_BATCH_TOKENS)
  .option('--inference-threads <n>', 'onnxruntime sessions in this process; 2-4 on a GPU (EMBEDLINE_INFERENCE_THREADS)', nonNegativeInt, env.EMBEDLINE_INFERENCE_THREADS)
  .option('--tokenizer-threads <n>', 'threads that tokenize, 0 = this one; 8 on a GPU (EMBEDLINE_TOKENIZER_THREADS)', nonNegativeInt, env.EMBEDLINE_TOKENIZER_THREADS)
  .option('--concurrency <n>', 'shards in flight (EMBEDLINE_WORKER_CONCURRENCY)', nonNegativeInt, env.EMBEDLINE_WORKER_CONCURRENCY)
  .option('--export <dir>', 'also write each shard as Arrow IPC and Parquet files here, DIR/<collection>/<shard>.{arrow,parquet} (EMBEDLINE_EXPORT_DIR)', env.EMBEDLINE_EXPORT_DIR)
  .action(run);

interface WorkerFlags {
  redis: string;
  prefix: string;
  modelDir?: string;
  variant: string;
  provider: 'cpu' | 'cuda' | 'auto';
  deviceId: number;
  maxBatchTokens: number;
  inferenceThreads: number;
  tokenizerThreads: number;
  concurrency: number;
  export?: string;
}

async function run(flags: WorkerFlags): Promise<void> {
  const log = createLogger('worker');
  const model = await resolveModel({
    modelDir: flags.modelDir,
    variant: flags.variant,
    allowReferenceFallback: env.EMBEDLINE_ALLOW_REFERENCE_MODEL,
    log: (m) => log.info(m),
  });
  if (model.warning !== undefined) log.warn(model.warning);
  const encoder = await Encoder.load(
    {
      modelDir: model.dir,
      variant: flags.variant,
      provider: flags.provider,
      deviceId: flags.deviceId,
      maxBatchTokens: flags.maxBatchTokens,
      inferenceThreads: flags.inferenceThreads,
      tokenizerThreads: flags.tokenizerThreads,
      intraOpThreads: env.EMBEDLINE_INTRA_OP_THREADS,
    },
    log,
  );
  const store = await openStore(env);
  const connection = createRedisConnection(flags.redis);
  const workers = startShardWorkers({
    connection,
    prefix: flags.prefix,
    encoder,
    store,
    concurrency: flags.concurrency,
    exportDir: flags.export,
    lockDurationMs: env.EMBEDLINE_LOCK_DURATION_MS,
    log,
  });
  log.info(`worker ready: queue prefix ${flags.prefix}, ${flags.concurrency} shards in flight`);
  // A drain cut short loses nothing: unfinished shards are re-run by another worker once their locks expire.
  onShutdown(log, { draining: 'finishing the shards in hand', graceMs: 120_000 }, async () => {
    await workers.close();
    await encoder.close();
    await store.close();
    await connection.quit();
  });
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`embedline-worker: ${(error as Error).message}`);
  process.exit(1);
});
