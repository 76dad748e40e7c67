import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

/**
 * Every key matching a glob pattern, by SCAN (which, unlike KEYS, never blocks Redis). On a cluster
 * each master holds only its own slots' keys, so every master is scanned.
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? await masters(client) : [client];
  const found = new Set<string>(); // SCAN may return a key more than once
  for (const node of nodes) {
    for await (const keys of node.scanStream({ match: pattern, count: 1000 })) {
      for (const key of keys as string[]) found.add(key);
    }
  }
  return [...found];
}

async function masters(cluster: Cluster) {
  // The node list fills in once the client has read the cluster's slot map; a first command waits for that.
  if (cluster.status !== 'ready') await cluster.ping();
  return cluster.nodes('master');
}
