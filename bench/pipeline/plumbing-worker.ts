/**
 * A worker process for the plumbing ceiling's "no encoder" row: apps/worker's wiring (the same
 * libs/pipeline startShardWorkers, BullMQ, LanceDB store, ledger, manifest) with the encoder
 * replaced by a stand-in that returns one fixed unit vector per passage without tokenizing or
 * running a model. It answers "how many passages/s can Redis + reading + Arrow + the store move
 * per worker process if embedding cost nothing"; it is a benchmark instrument, never a worker.
 *
 * Reads the same environment as apps/worker; BENCH_NULL_DIMENSION sets the vector size (768:
 * what msmarco-distilbert-cos-v5 writes, so the store moves production-sized rows).
 *
 * BENCH_DEVICE_PASSAGES_PER_SECOND (optional) makes the stand-in a simulated accelerator embedding at that rate
 * off the host's cores (simulated-accelerator.ts; BENCH_DEVICE_SHARING: fifo or shared), so that a CPU host can
 * see how much of a device's rate the pipeline around it keeps (bench/pipeline/simulated-device.ts).
 */
import { createLogger, loadEnv } from '@embedline/config';
import type { Embeddings, Encoder, EncoderDescription } from '@embedline/encoder';
import { defaultShardConcurrency, startShardWorkers } from '@embedline/pipeline';
import { createRedisConnection } from '@embedline/queue';
import { openStore } from '@embedline/store';
import { SimulatedDevice, deviceSharing } from './simulated-accelerator.ts';

const env = loadEnv();
const dimension = Number(process.env.BENCH_NULL_DIMENSION ?? 768);
if (!Number.isInteger(dimension) || dimension < 1)
  throw new Error(`BENCH_NULL_DIMENSION must be a positive integer`);
const log = createLogger('plumbing-worker');
const device = simulatedDevice();
const concurrency =
  env.EMBEDLINE_WORKER_CONCURRENCY ?? defaultShardConcurrency(env.EMBEDLINE_INFERENCE_THREADS);

/** The two members of Encoder the pipeline calls: describe() and encode(). */
const standIn = {
  describe(): EncoderDescription {
    return {
      modelDir: '(none: plumbing benchmark)',
      variant: 'none',
      dimension,
      maxSeqLength: 0,
      normalized: true,
      provider: 'cpu',
      inferenceThreadId: 0,
      pooling: 'host',
    };
  },
  async encode(texts: readonly string[]): Promise<Embeddings> {
    await device?.run(texts.length);
    const vectors = new Float32Array(texts.length * dimension).fill(1 / Math.sqrt(dimension));
    return {
      vectors,
      count: texts.length,
      dimension,
      truncated: new Uint8Array(texts.length),
      stats: { texts: texts.length, batches: 0, realTokens: 0, paddedTokens: 0, atMaxLength: 0 },
    };
  },
  async close(): Promise<void> {},
};

const store = await openStore(env);
const connection = createRedisConnection(env.EMBEDLINE_REDIS_URL);
const workers = startShardWorkers({
  connection,
  prefix: env.EMBEDLINE_QUEUE_PREFIX,
  queues: env.EMBEDLINE_WORKER_QUEUES,
  // Encoder is a class with private state; the pipeline only calls describe() and encode().
  encoder: standIn as unknown as Encoder,
  store,
  concurrency,
  lockDurationMs: env.EMBEDLINE_LOCK_DURATION_MS,
  log,
});
log.info(`worker ready: no encoder (fixed ${dimension}-d vectors), ${concurrency} shards in flight`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await workers.close();
    await store.close();
    await connection.quit();
    process.exit(0);
  })();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** BENCH_DEVICE_PASSAGES_PER_SECOND and BENCH_DEVICE_SHARING (fifo, the default, or shared), when set. */
function simulatedDevice(): SimulatedDevice | undefined {
  const raw = process.env.BENCH_DEVICE_PASSAGES_PER_SECOND;
  if (raw === undefined) return undefined;
  const rate = Number(raw);
  if (!(rate > 0))
    throw new Error(`BENCH_DEVICE_PASSAGES_PER_SECOND must be a positive number, got "${raw}"`);
  return new SimulatedDevice(
    rate,
    deviceSharing('BENCH_DEVICE_SHARING', process.env.BENCH_DEVICE_SHARING ?? 'fifo'),
  );
}
