/**
 * Where the queues live: one Redis, or a Redis Cluster reached through seed nodes. Every app takes
 * these three settings (from the environment, or its `--redis`, `--redis-cluster` and `--prefix`
 * flags) and checks them with `checkRedisSettings` before it connects.
 */
export interface RedisSettings {
  /** One `redis[s]://` URL, or in cluster mode a comma-separated list of seed node URLs. */
  readonly url: string;
  readonly cluster: boolean;
  /** BullMQ key prefix (EMBEDLINE_QUEUE_PREFIX); on a cluster it must hold a hash tag, e.g. `{embedline}`. */
  readonly prefix: string;
}

/** How a bad setting is named in an error: the environment variable, or the flag that overrides it. */
export interface RedisSettingNames {
  readonly url: string;
  readonly cluster: string;
  readonly prefix: string;
}

export const REDIS_ENV_NAMES: RedisSettingNames = {
  url: 'EMBEDLINE_REDIS_URL',
  cluster: 'EMBEDLINE_REDIS_CLUSTER',
  prefix: 'EMBEDLINE_QUEUE_PREFIX',
};

/** The producer's and the worker's flags, each defaulting to its variable. */
export const REDIS_FLAG_NAMES: RedisSettingNames = {
  url: '--redis (EMBEDLINE_REDIS_URL)',
  cluster: '--redis-cluster (EMBEDLINE_REDIS_CLUSTER)',
  prefix: '--prefix (EMBEDLINE_QUEUE_PREFIX)',
};

/** A setting the apps cannot run with; the message names the setting, the problem and the fix. */
export class RedisSettingsError extends Error {
  override readonly name = 'RedisSettingsError';
}

/**
 * Whether every key built from this prefix hashes to one Redis Cluster slot: Redis hashes only the
 * part between the first `{` and the next `}` when that part is not empty (the "hash tag").
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/** The URLs of a setting: one for a single Redis, one per seed node of a cluster. */
export function redisUrls(url: string): string[] {
  return url
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * Refuses settings that cannot work, with an error that says which setting to change and how: a
 * cluster without a hash-tag prefix (BullMQ's scripts would fail with CROSSSLOT), seed URLs that are
 * not `redis[s]://host:port`, or several URLs for a single Redis.
 */
export function checkRedisSettings(settings: RedisSettings, names: RedisSettingNames = REDIS_ENV_NAMES): void {
  const urls = redisUrls(settings.url);
  if (urls.length === 0) throw new RedisSettingsError(`${names.url} is empty: give a redis:// URL`);
  if (!settings.cluster) {
    if (urls.length > 1) {
      throw new RedisSettingsError(
        `${names.url} lists ${urls.length} URLs, but ${names.cluster} is off: set ${names.cluster}=true ` +
          `to use them as the seed nodes of a Redis Cluster, or give one URL for a single Redis`,
      );
    }
    return;
  }
  for (const url of urls) checkSeedUrl(url, names);
  // Nodes discovered from the cluster's slot map are reached with one set of options for all.
  if (new Set(urls.map(accessOf)).size > 1) {
    throw new RedisSettingsError(`${names.url}: the seed URLs differ in scheme, user or password; every node of a cluster is reached the same way`);
  }
  assertClusterPrefix(settings.prefix, names);
}

/** Refuses a queue prefix without a hash tag for a Redis Cluster, saying which tag to use instead. */
export function assertClusterPrefix(prefix: string, names: RedisSettingNames = REDIS_ENV_NAMES): void {
  if (hasHashTag(prefix)) return;
  throw new RedisSettingsError(
    `${names.prefix} "${prefix}" has no hash tag, which Redis Cluster mode (${names.cluster}=true) needs: ` +
      `BullMQ's scripts touch several keys of a queue at once, and on a cluster those must share one hash slot. ` +
      `Set ${names.prefix} to "${suggestedHashTag(prefix)}"`,
  );
}

function checkSeedUrl(url: string, names: RedisSettingNames): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisSettingsError(`${names.url}: "${url}" is not a URL; cluster seed nodes are redis://host:port or rediss://host:port`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisSettingsError(`${names.url}: "${url}" is not a redis:// or rediss:// URL`);
  }
  if (parsed.hostname === '') throw new RedisSettingsError(`${names.url}: "${url}" names no host`);
  if (parsed.pathname.length > 1 && parsed.pathname !== '/0') {
    throw new RedisSettingsError(`${names.url}: "${url}" selects database ${parsed.pathname.slice(1)}, but a Redis Cluster has only database 0`);
  }
}

function accessOf(url: string): string {
  const { protocol, username, password } = new URL(url);
  return JSON.stringify([protocol, username, password]);
}

/** `{embedline}` for `embedline`: the prefix's own characters as the hash tag. */
function suggestedHashTag(prefix: string): string {
  const bare = prefix.replace(/[{}]/g, '');
  return `{${bare.length > 0 ? bare : 'embedline'}}`;
}
