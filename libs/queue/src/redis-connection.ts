import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { assertClusterPrefix, redisUrls } from './redis-settings.ts';

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
