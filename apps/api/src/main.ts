/**
 * embedline-api: the query service. Reads the environment (libs/config), loads the encoder, opens the
 * vector store and Redis, serves @embedline/http, and on SIGTERM/SIGINT stops accepting, drains the
 * requests in flight, then closes encoder, store and Redis.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadEnv, onShutdown, type EmbedlineEnv, type Logger } from '@embedline/config';
import { openEncoder } from '@embedline/encoder';
import { apiOptionsFromEnv, buildApiServer } from '@embedline/http';
import { checkRedisSettings, createRedisConnection, logRedisOutages } from '@embedline/queue';
import { openStore, type VectorStore } from '@embedline/store';

/** The search page and other static files (added by the search-page work; served when present). */
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/** `--help`: the API takes no arguments, only environment variables (it used to ignore them and start). */
const USAGE = `Usage: embedline-api

The query API: loads the encoder, opens the store and Redis, and serves search (libs/http/README.md).
It takes no arguments: every setting is an environment variable (libs/config/src/env-schema.ts), e.g.
  EMBEDLINE_API_HOST (0.0.0.0), EMBEDLINE_API_PORT (8080), EMBEDLINE_API_DEFAULT_COLLECTION,
  EMBEDLINE_API_READ_KEYS, EMBEDLINE_API_ADMIN_KEYS, EMBEDLINE_STORE (lancedb), EMBEDLINE_LANCEDB_DIR,
  QDRANT_URL, EMBEDLINE_REDIS_URL, EMBEDLINE_MODEL_DIR, EMBEDLINE_PROVIDER (auto).
`;

/** Answers --help, and refuses any other argument, before anything is loaded or listened on. */
function checkArguments(args: readonly string[]): void {
  if (args.length === 0) return;
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  throw new Error(
    `takes no arguments (got ${args.map((arg) => `"${arg}"`).join(' ')}): settings are environment variables; --help lists the main ones`,
  );
}

async function main(): Promise<void> {
  checkArguments(process.argv.slice(2));
  const env = loadEnv();
  const redisSettings = {
    url: env.EMBEDLINE_REDIS_URL,
    cluster: env.EMBEDLINE_REDIS_CLUSTER,
    prefix: env.EMBEDLINE_QUEUE_PREFIX,
  };
  checkRedisSettings(redisSettings); // before the model loads: a bad setting fails at once
  const log = createLogger('api');
  const options = apiOptionsFromEnv(env, PUBLIC_DIR); // keys checked here, before the model loads
  // No I/O yet: a missing setting (QDRANT_URL) fails before the model loads. Fail fast: a search waits on it.
  const store = await openStore(env, { failFast: true });
  const encoder = await openEncoder(env, { log });
  await reportCollections(store, env, log);
  // One retry per command, not BullMQ's "wait forever": a Redis outage must fail a status read, never
  // hang a request.
  const redis = createRedisConnection(redisSettings.url, { cluster: redisSettings.cluster, failFast: true });
  logRedisOutages(redis, log); // an outage in a few lines, not one per reconnect attempt
  const server = await buildApiServer(
    { encoder, store, redis, queuePrefix: env.EMBEDLINE_QUEUE_PREFIX, logger: log },
    options,
  );
  onShutdown(
    log,
    { draining: 'draining in-flight requests', graceMs: env.EMBEDLINE_API_SHUTDOWN_GRACE_MS },
    async () => {
      await server.close(); // stops accepting, answers 503 shutting_down to new requests, waits for those in flight
      await encoder.close();
      await store.close();
      await redis.quit();
    },
  );
  const address = await server
    .listen({ host: env.EMBEDLINE_API_HOST, port: env.EMBEDLINE_API_PORT })
    .catch((error: unknown) => {
      // e.g. the port is taken, or the host is no address of this machine: name the settings to change.
      const where = `${env.EMBEDLINE_API_HOST}:${env.EMBEDLINE_API_PORT}`;
      throw new Error(
        `cannot listen on ${where} (EMBEDLINE_API_HOST, EMBEDLINE_API_PORT): ${(error as Error).message}`,
      );
    });
  log.info(
    `api listening on ${address} (store ${env.EMBEDLINE_STORE}, queue prefix ${env.EMBEDLINE_QUEUE_PREFIX})`,
  );
}

/**
 * Says at start what there is to search. A store with no collection, or without the default one, is most
 * often a wrong EMBEDLINE_LANCEDB_DIR / QDRANT_URL or EMBEDLINE_API_DEFAULT_COLLECTION: a warning naming
 * them, rather than a service that starts, reports ready, and answers every search with a 404.
 */
async function reportCollections(store: VectorStore, env: EmbedlineEnv, log: Logger): Promise<void> {
  const where =
    env.EMBEDLINE_STORE === 'lancedb'
      ? `the LanceDB folder ${resolve(env.EMBEDLINE_LANCEDB_DIR)} (EMBEDLINE_LANCEDB_DIR)` +
        (existsSync(env.EMBEDLINE_LANCEDB_DIR) ? '' : ', which does not exist,')
      : `Qdrant at ${env.QDRANT_URL} (QDRANT_URL)`;
  let names: string[];
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(reject, 5000).unref());
    names = await Promise.race([store.listCollections(), timeout]);
  } catch (error) {
    const why =
      error === undefined ? 'did not answer within 5 s' : `does not answer (${(error as Error).message})`;
    log.warn(`${where} ${why}: /readyz says so, and searches answer 503, until it does`);
    return;
  }
  const fallback = env.EMBEDLINE_API_DEFAULT_COLLECTION;
  if (names.length === 0) {
    log.warn(`${where} has no collections yet: searches answer 404 until an ingest writes one`);
  } else if (fallback !== undefined && !names.includes(fallback)) {
    log.warn(
      `EMBEDLINE_API_DEFAULT_COLLECTION "${fallback}" is not among the collections of ${where}: ${names.join(', ')}`,
    );
  } else {
    log.info(`collections: ${names.join(', ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(`embedline-api: ${(error as Error).message}`);
  process.exit(1);
});
