import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { REDIS_ENV_NAMES, assertClusterPrefix, redisUrls } from './redis-settings.ts';

/** A connection to the queues' Redis: one node, or a Redis Cluster. BullMQ takes either. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Treat the URL(s) as the seed nodes of a Redis Cluster (EMBEDLINE_REDIS_CLUSTER). */
  readonly cluster?: boolean;
  /**
   * Fail a command after one retry, and a connection attempt after 2 s, instead of waiting for Redis
   * to come back: for the API, where a Redis outage must fail a status read or a readiness probe,
   * never hang a request. Not for BullMQ workers, which block on their connection.
   */
  readonly failFast?: boolean;
}

/**
 * The one way the apps connect to Redis. By default BullMQ's setting, `maxRetriesPerRequest: null`
 * (which its workers require on the connections they block on): a Redis blip stalls calls until
 * Redis is back instead of failing them, which is what a long bulk load wants.
 *
 * `url` is a `redis[s]://` URL; with `cluster`, a comma-separated list of seed nodes, from which
 * ioredis discovers the rest (check it first with `checkRedisSettings`).
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): RedisClient {
  const commandOptions = commandPolicy(options.failFast ?? false);
  if (!options.cluster) return new Redis(url, { ...commandOptions, enableReadyCheck: true, lazyConnect: false });
  const { seeds, clusterOptions } = clusterConnection(url, commandOptions);
  return new Cluster(seeds, clusterOptions);
}

/** Redis did not answer in time at start: the message names the setting, the URL (password hidden) and the last error. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
}

export interface WaitForRedisOptions {
  /** The setting the URL came from, named in the error (default `EMBEDLINE_REDIS_URL`). */
  readonly name?: string;
  /** How long to wait for a PING answer (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Waits until Redis answers a PING, at most `timeoutMs`. A connection made with the default policy
 * retries forever (right once a bulk load runs, wrong at start): a command or a starting worker calls
 * this first, so that a wrong URL or a Redis that is down fails in bounded time with one line naming
 * the setting, instead of hanging while ioredis prints a stack trace per reconnect. On failure the
 * client is disconnected and a RedisUnreachableError thrown.
 */
export async function waitForRedis(client: RedisClient, url: string, options: WaitForRedisOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let lastError: Error | undefined;
  const onError = (error: Error) => (lastError = error);
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(lastError?.message ?? 'no answer')), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), timeout]);
  } catch (error) {
    client.disconnect(); // the error listener stays: the reconnects' errors are said once, below
    const seconds = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
    throw new RedisUnreachableError(
      `${options.name ?? REDIS_ENV_NAMES.url} ${redactRedisUrl(url)}: Redis did not answer within ${seconds} ` +
        `(${lastError?.message ?? (error as Error).message}); is it running, and is this its URL?`,
    );
  } finally {
    clearTimeout(timer);
  }
  client.off('error', onError);
}

/** The URL(s) with any password replaced by `***`, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return redisUrls(url)
    .map((item) => {
      try {
        const parsed = new URL(item);
        if (parsed.password === '') return item;
        parsed.password = '***';
        return parsed.toString();
      } catch {
        return item;
      }
    })
    .join(',');
}

function commandPolicy(failFast: boolean): Pick<RedisOptions, 'maxRetriesPerRequest' | 'connectTimeout'> {
  return failFast ? { maxRetriesPerRequest: 1, connectTimeout: 2000 } : { maxRetriesPerRequest: null };
}

/**
 * ioredis Cluster options from seed URLs. The cluster's other nodes are found through its slot map
 * and reached with `redisOptions` alone, so user, password and TLS go there (taken from the first
 * URL: `checkRedisSettings` makes sure the seeds agree), not only on the seeds.
 */
export function clusterConnection(
  url: string,
  commandOptions: Pick<RedisOptions, 'maxRetriesPerRequest' | 'connectTimeout'> = commandPolicy(false),
): { seeds: { host: string; port: number }[]; clusterOptions: ClusterOptions } {
  const parsed = redisUrls(url).map((seed) => new URL(seed));
  const first = parsed[0];
  if (first === undefined) throw new TypeError('no Redis Cluster seed URL given');
  const seeds = parsed.map((seed) => ({ host: seed.hostname, port: Number(seed.port || 6379) }));
  const tls = first.protocol === 'rediss:';
  const redisOptions: RedisOptions = {
    ...commandOptions,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(tls ? { tls: {} } : {}),
  };
  return {
    seeds,
    clusterOptions: {
      redisOptions,
      enableReadyCheck: true,
      // With TLS, seeds are dialled by their host names rather than addresses ioredis looked up itself,
      // so certificates issued for those names verify (what ioredis advises for AWS ElastiCache).
      ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    },
  };
}

/**
 * BullMQ's `connection` and `prefix` for the pipeline's queues (and the keys beside them, like the
 * ingest manifest). On a cluster the prefix must hold a hash tag; refused here, before BullMQ's first
 * script fails with CROSSSLOT.
 */
export function queueOptions(connection: RedisClient, prefix: string): { connection: RedisClient; prefix: string } {
  assertPrefixFits(connection, prefix);
  return { connection, prefix };
}

/** Refuses a prefix without a hash tag on a cluster connection (see `queueOptions`). */
export function assertPrefixFits(connection: RedisClient, prefix: string): void {
  if (connection.isCluster) assertClusterPrefix(prefix);
}
