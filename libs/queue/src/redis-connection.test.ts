import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterConnection, queueOptions, type RedisClient } from './redis-connection.ts';
import { RedisSettingsError } from './redis-settings.ts';

describe('clusterConnection: ioredis Cluster options from seed URLs', () => {
  test("seeds become nodes; BullMQ's blocking option goes where ioredis Cluster applies it to every node", () => {
    const { seeds, clusterOptions } = clusterConnection('redis://10.0.0.1:7000, redis://10.0.0.2');
    assert.deepEqual(seeds, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
    ]);
    assert.deepEqual(clusterOptions.redisOptions, { maxRetriesPerRequest: null });
    assert.equal(clusterOptions.dnsLookup, undefined);
  });

  test('user, password (URL-decoded) and TLS apply to every node, and TLS nodes keep their names', () => {
    const { clusterOptions } = clusterConnection('rediss://app:p%40ss@node-1.example:6380,rediss://app:p%40ss@node-2.example:6380', {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    assert.deepEqual(clusterOptions.redisOptions, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      username: 'app',
      password: 'p@ss',
      tls: {},
    });
    let resolved: string | undefined;
    clusterOptions.dnsLookup?.('node-1.example', (_error, address) => (resolved = address));
    assert.equal(resolved, 'node-1.example');
  });
});

describe('queueOptions', () => {
  test('refuses a prefix without a hash tag on a cluster connection, accepts any on one node', () => {
    const cluster = { isCluster: true } as RedisClient;
    const single = { isCluster: false } as RedisClient;
    assert.throws(() => queueOptions(cluster, 'embedline'), (error: Error) => error instanceof RedisSettingsError && /"\{embedline\}"/.test(error.message));
    assert.deepEqual(queueOptions(cluster, '{embedline}'), { connection: cluster, prefix: '{embedline}' });
    assert.deepEqual(queueOptions(single, 'embedline'), { connection: single, prefix: 'embedline' });
  });
});
