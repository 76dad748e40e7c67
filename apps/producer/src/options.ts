import type { Command } from 'commander';
import type { EmbedlineEnv } from '@embedline/config';
import { REDIS_FLAG_NAMES, checkRedisSettings, createRedisConnection, waitForRedis, type RedisClient } from '@embedline/queue';

/** Where the queues are; every command that reaches Redis takes these, as the worker does. */
export interface RedisFlags {
  redis: string;
  redisCluster: boolean;
  prefix: string;
}

export function withRedisOptions(command: Command, env: EmbedlineEnv): Command {
  return command
    .option('--redis <url>', 'Redis URL; with --redis-cluster, comma-separated seed node URLs (EMBEDLINE_REDIS_URL)', env.EMBEDLINE_REDIS_URL)
    .option('--redis-cluster', 'Redis is a Redis Cluster; needs a {hash tag} prefix (EMBEDLINE_REDIS_CLUSTER)', env.EMBEDLINE_REDIS_CLUSTER)
    .option('--prefix <prefix>', 'queue key prefix, e.g. {embedline} on a cluster (EMBEDLINE_QUEUE_PREFIX)', env.EMBEDLINE_QUEUE_PREFIX);
}

/** Checks the Redis flags without connecting: a bad combination is a one-line error naming the flag. */
export function checkRedisFlags(flags: RedisFlags): void {
  checkRedisSettings({ url: flags.redis, cluster: flags.redisCluster, prefix: flags.prefix }, REDIS_FLAG_NAMES);
}

/**
 * Checks the flags (checkRedisFlags), connects, and waits for Redis to answer: one that is down or at a
 * wrong URL fails the command in 10 s, naming --redis.
 */
export async function connectRedis(flags: RedisFlags): Promise<RedisClient> {
  checkRedisFlags(flags);
  const connection = createRedisConnection(flags.redis, { cluster: flags.redisCluster });
  await waitForRedis(connection, flags.redis, { name: REDIS_FLAG_NAMES.url });
  return connection;
}


export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
