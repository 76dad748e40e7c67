import { isIP } from 'node:net';
import { z } from 'zod';
import { wholeNumber } from './number-flags.ts';

/**
 * A whole number in [min, max] from the variable's text. A blank value is an error, not 0 (what `Number('')`
 * gives: a random port, device 0); a value that is no number is quoted in the error.
 */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = String(value).trim();
    const n = wholeNumber(text);
    if (n >= min && n <= max) return n;
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    ctx.addIssue({
      code: 'custom',
      message: text === '' ? `is empty: expected a whole number ${range} (unset it for the default)` : `expected a whole number ${range}, got "${value}"`,
    });
    return z.NEVER;
  });
/** The items of a comma-separated list; blanks around items and empty items are dropped. */
const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
const list = z.string().default('').transform(splitList);
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** proxy-addr's names for address ranges (what Fastify's trustProxy takes beside addresses and CIDRs). */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IPv4/IPv6 address, optionally with a /prefix of the right size. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = wholeNumber(prefix);
  return bits >= 0 && bits <= (version === 4 ? 32 : 128);
}

/**
 * Whose X-Forwarded-For to believe for the client's address (the rate limit of callers without a key, request
 * logs): `false` (unset: the socket's peer), `true` (every hop: only when the port is reachable through the
 * proxy alone), a number of hops, or comma-separated proxy addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`.
 */
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  const text = value.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return wholeNumber(text);
  const entries = splitList(text);
  const bad = entries.filter((entry) => !PROXY_RANGE_NAMES.has(entry) && !isAddressOrCidr(entry));
  if (entries.length > 0 && bad.length === 0) return entries;
  ctx.addIssue({
    code: 'custom',
    message:
      `expected true, false, a number of proxy hops, or comma-separated proxy addresses, CIDRs or loopback/linklocal/uniquelocal` +
      (text === '' ? ', got an empty value' : `; not one of those: ${bad.map((entry) => `"${entry}"`).join(', ') || `"${value}"`}`),
  });
  return z.NEVER;
});

/** A comma-separated list of worker queues (`shards`, `finalize`): EMBEDLINE_WORKER_QUEUES and the worker's --queues. */
export const workerQueuesSchema = z
  .string()
  .transform(splitList)
  .pipe(
    z
      .array(z.enum(['shards', 'finalize'], { error: 'each queue is "shards" or "finalize"' }))
      .min(1, 'name at least one queue: shards, finalize'),
  );

/**
 * Every environment variable an Embedline app reads, in one place: the apps, infra/ manifests and
 * the docs are checked against this schema so that they cannot drift apart. Command-line flags
 * override these values where an app offers them.
 */
export const envSchema = z.object({
  /** One Redis URL; with EMBEDLINE_REDIS_CLUSTER, comma-separated seed node URLs of a Redis Cluster. */
  EMBEDLINE_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Redis Cluster mode: needs a hash-tag prefix such as `{embedline}` (checked by @embedline/queue's checkRedisSettings). */
  EMBEDLINE_REDIS_CLUSTER: flag.default(false),
  /** BullMQ key prefix: one per deployment (and per test run); may hold one `{hash tag}`, e.g. `{embedline}`. */
  EMBEDLINE_QUEUE_PREFIX: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]*\{[A-Za-z0-9_.-]+\}[A-Za-z0-9_.-]*)$/,
      'letters, digits, "_", "." or "-", with at most one {hash tag} (e.g. embedline, or {embedline} for a Redis Cluster)',
    )
    .default('embedline'),
  EMBEDLINE_STORE: z.enum(['lancedb', 'qdrant']).default('lancedb'),
  EMBEDLINE_LANCEDB_DIR: z.string().min(1, 'is empty: name a folder (unset it for .embedline/lancedb)').default('.embedline/lancedb'),
  /** Ceiling of LanceDB's file-metadata cache per process, in MiB (LanceDB's own default is 1024). */
  EMBEDLINE_LANCEDB_METADATA_CACHE_MIB: int(1).default(256),
  /** Table versions between two compactions of a collection while it is loaded (0: only finalize compacts). */
  EMBEDLINE_LANCEDB_COMPACT_EVERY_VERSIONS: int(0).default(2000),
  /** Rows added between two compactions of a collection while it is loaded, whichever bound comes first (0: no row bound). */
  EMBEDLINE_LANCEDB_COMPACT_EVERY_ROWS: int(0).default(1_048_576),
  QDRANT_URL: z.string().url().optional(),
  QDRANT_API_KEY: z.string().optional(),
  /** Points per Qdrant upsert request (Qdrant recommends 64-256). */
  EMBEDLINE_QDRANT_BATCH_SIZE: int(1, 1024).default(128),
  /** Qdrant upsert requests in flight at once per shard write. */
  EMBEDLINE_QDRANT_CONCURRENCY: int(1, 64).default(4),
  /** Client timeout per Qdrant points or read request, in ms (timeouts are not retried: the shard is). */
  EMBEDLINE_QDRANT_TIMEOUT_MS: int(1).default(60_000),
  /** A local sentence-transformers folder; unset = the Hugging Face cache / hub / bundled fallback. */
  EMBEDLINE_MODEL_DIR: z.string().min(1, 'is empty: name a model folder, or unset it').optional(),
  EMBEDLINE_MODEL_VARIANT: z.string().min(1, 'is empty: name a variant, or unset it for fp32').default('fp32'),
  /** `auto`: the GPU when one is visible and onnxruntime's CUDA provider is installed, else the CPU (docs/gpu.md). */
  EMBEDLINE_PROVIDER: z.enum(['cpu', 'cuda', 'auto']).default('auto'),
  EMBEDLINE_DEVICE_ID: int(0).default(0),
  EMBEDLINE_MAX_BATCH_TOKENS: int(1).default(16384),
  EMBEDLINE_INTRA_OP_THREADS: int(0).default(0),
  /** Whether onnxruntime's idle intra-op threads busy-wait for the next operator (encoder option intraOpSpinning). */
  EMBEDLINE_INTRA_OP_SPINNING: flag.default(false),
  /** onnxruntime sessions per process: 1 for a CPU; 2-4 on a GPU overlap host-side work with the GPU (docs/gpu.md). */
  EMBEDLINE_INFERENCE_THREADS: int(1).default(1),
  /** Threads that tokenize; 0 = the inference caller's thread (CPU). A GPU needs several (docs/gpu.md). */
  EMBEDLINE_TOKENIZER_THREADS: int(0).default(0),
  /** Shards a worker holds at once; unset: two per inference thread (2 on a CPU, 8 with 4 GPU sessions). */
  EMBEDLINE_WORKER_CONCURRENCY: int(1).optional(),
  /**
   * Queues a worker consumes: `shards` (embedding; loads the model), `finalize` (compaction, index build, count
   * check; no model), or both (the default). A fleet runs GPU workers on `shards` and one CPU worker on `finalize`.
   */
  EMBEDLINE_WORKER_QUEUES: workerQueuesSchema.default(['shards', 'finalize']),
  /** How long a worker's claim on a shard lasts without renewal: a killed worker's shard is re-run after this. */
  EMBEDLINE_LOCK_DURATION_MS: int(1000).default(30000),
  /**
   * Port of the worker's operations server (/healthz, /readyz, /metrics); unset = none, 0 = a free port (logged).
   * Off by default because several workers share a host (one per GPU): give each its own port.
   */
  EMBEDLINE_WORKER_METRICS_PORT: int(0, 65535).optional(),
  EMBEDLINE_WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** Also write each shard as Arrow IPC and Parquet files under this folder: <collection>/<shard>.{arrow,parquet}. */
  EMBEDLINE_EXPORT_DIR: z.string().optional(),
  EMBEDLINE_SHARD_SIZE: int(1).default(1000),
  EMBEDLINE_HIGH_WATER_MARK: int(1).default(200),
  EMBEDLINE_ALLOW_REFERENCE_MODEL: flag.default(true),
  // --- The query API (apps/api) ---
  EMBEDLINE_API_HOST: z.string().min(1).default('0.0.0.0'),
  EMBEDLINE_API_PORT: int(0, 65535).default(8080),
  /** Comma-separated API keys with read scope (search, embed, collections). No keys at all = open read access. */
  EMBEDLINE_API_READ_KEYS: list,
  /** Comma-separated API keys with admin scope (read, plus the queue dashboard). */
  EMBEDLINE_API_ADMIN_KEYS: list,
  /** A file of `<read|admin> <key>` lines (`#` comments), read at start, added to the keys above. */
  EMBEDLINE_API_KEYS_FILE: z.string().min(1).optional(),
  /** Comma-separated origins allowed by CORS, or `*`; unset = no CORS headers (same-origin only). */
  EMBEDLINE_API_CORS_ORIGINS: list,
  /** Requests per minute per API key (per client address without keys). */
  EMBEDLINE_API_RATE_LIMIT: int(1).default(600),
  /** Behind a proxy or ingress: whose X-Forwarded-For gives the client's address (see trustProxy above); unset = none. */
  EMBEDLINE_API_TRUST_PROXY: trustProxy.default(false),
  /** The collection searched when a request names none; unset = requests must name one. */
  EMBEDLINE_API_DEFAULT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a collection name: 1-64 letters, digits, "_" or "-"')
    .optional(),
  /** Longest query or embed input accepted, in characters (the model reads at most 384 tokens anyway). */
  EMBEDLINE_API_MAX_QUERY_CHARS: int(1).default(2048),
  /** Most queries (or embed inputs) in one request. */
  EMBEDLINE_API_MAX_BATCH_QUERIES: int(1).default(64),
  /** Most hits one search may ask for, queries x top_k: a bound on the answer's size (libs/http's default). */
  EMBEDLINE_API_MAX_SEARCH_HITS: int(1).default(10_000),
  /**
   * How long a client may take to send a whole request (ms; 0 = no bound). Fastify's default is none, so a
   * client sending its body a byte at a time held a socket open for as long as it liked.
   */
  EMBEDLINE_API_REQUEST_TIMEOUT_MS: int(0).default(30_000),
  /** Largest request body, in bytes. */
  EMBEDLINE_API_BODY_LIMIT: int(1024).default(1_048_576),
  /**
   * How long the first query of a micro-batch waits for others to share its inference call (ms). 0: one
   * turn of the event loop; under load batches still grow, since queries gather while a call runs.
   */
  EMBEDLINE_API_BATCH_WAIT_MS: z.coerce.number().min(0).max(1000).default(0),
  /** Most texts in one micro-batched inference call. */
  EMBEDLINE_API_BATCH_MAX_TEXTS: int(1).default(64),
  /**
   * Memory (MiB) the API may hold finalized embedded-store collections in, searched exactly and a
   * micro-batch per call instead of query by query in LanceDB (0 = always search the store).
   */
  EMBEDLINE_API_MEMORY_INDEX_MIB: int(0).default(1024),
  /** How often the memory index checks a held collection for writes (ms): results lag writes by this much. */
  EMBEDLINE_API_MEMORY_INDEX_REFRESH_MS: int(0).default(1000),
  /** Query embeddings kept in the LRU cache (0 = no cache). */
  EMBEDLINE_API_QUERY_CACHE_SIZE: int(0).default(10_000),
  /** How long shutdown waits for in-flight requests before exiting anyway (ms). */
  EMBEDLINE_API_SHUTDOWN_GRACE_MS: int(0).default(30_000),
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
