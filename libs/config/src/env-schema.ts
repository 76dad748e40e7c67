import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/**
 * Every environment variable an Embedline app reads, in one place: the apps, infra/ manifests and
 * the docs are checked against this schema so that they cannot drift apart. Command-line flags
 * override these values where an app offers them.
 */
export const envSchema = z.object({
  EMBEDLINE_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix: one per deployment (and per test run). */
  EMBEDLINE_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('embedline'),
  EMBEDLINE_STORE: z.enum(['lancedb', 'qdrant']).default('lancedb'),
  EMBEDLINE_LANCEDB_DIR: z.string().default('.embedline/lancedb'),
  QDRANT_URL: z.string().url().optional(),
  QDRANT_API_KEY: z.string().optional(),
  /** A local sentence-transformers folder; unset = the Hugging Face cache / hub / bundled fallback. */
  EMBEDLINE_MODEL_DIR: z.string().optional(),
  EMBEDLINE_MODEL_VARIANT: z.string().default('fp32'),
  EMBEDLINE_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  EMBEDLINE_DEVICE_ID: int(0).default(0),
  EMBEDLINE_MAX_BATCH_TOKENS: int(1).default(16384),
  EMBEDLINE_INTRA_OP_THREADS: int(0).default(0),
  EMBEDLINE_WORKER_CONCURRENCY: int(1).default(2),
  /** How long a worker's claim on a shard lasts without renewal: a killed worker's shard is re-run after this. */
  EMBEDLINE_LOCK_DURATION_MS: int(1000).default(30000),
  /** Also write each shard as an Arrow IPC file under this folder. */
  EMBEDLINE_EXPORT_DIR: z.string().optional(),
  EMBEDLINE_SHARD_SIZE: int(1).default(1000),
  EMBEDLINE_HIGH_WATER_MARK: int(1).default(200),
  EMBEDLINE_ALLOW_REFERENCE_MODEL: flag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type EmbedlineEnv = z.output<typeof envSchema>;

/** Reads and validates the environment; a bad value is a clear error naming the variable. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): EmbedlineEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new TypeError(`invalid environment: ${problems.join('; ')}`);
  }
  return parsed.data;
}
