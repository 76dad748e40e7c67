import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, test } from 'node:test';
import {
  RedisUnreachableError,
  clusterConnection,
  createRedisConnection,
  queueOptions,
  redactRedisUrl,
  waitForRedis,
  type RedisClient,
} from './redis-connection.ts';
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

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that answers every command with +PONG: enough for ioredis's ready check and a PING. */
async function pongServer(): Promise<Server> {
  const server = createServer((socket) => socket.on('data', () => socket.write('+PONG\r\n')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('waitForRedis: a Redis that is not there fails in bounded time, naming the setting', () => {
  test('nothing listening: a RedisUnreachableError naming the setting, the URL and the connect error, in about the timeout', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const client = createRedisConnection(url);
    const started = Date.now();
    await assert.rejects(
      waitForRedis(client, url, { name: '--redis (EMBEDLINE_REDIS_URL)', timeoutMs: 300 }),
      (error: Error) =>
        error instanceof RedisUnreachableError &&
        error.message.startsWith(`--redis (EMBEDLINE_REDIS_URL) ${url}: Redis did not answer within 300 ms (connect ECONNREFUSED`),
    );
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    let reconnects = 0;
    client.on('reconnecting', () => (reconnects += 1));
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(reconnects, 0, 'the client stops reconnecting');
  });

  test('the password in the URL is not printed', async () => {
    const url = `redis://app:s3cret@127.0.0.1:${await closedPort()}`;
    await assert.rejects(waitForRedis(createRedisConnection(url), url, { timeoutMs: 200 }), (error: Error) => {
      assert.match(error.message, /^EMBEDLINE_REDIS_URL redis:\/\/app:\*\*\*@127\.0\.0\.1:\d+: /);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
    assert.equal(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.equal(redactRedisUrl('rediss://:pw@a:1, rediss://:pw@b:2'), 'rediss://:***@a:1,rediss://:***@b:2');
  });

  test('a server that answers: resolves, and the client stays usable', async () => {
    const server = await pongServer();
    const url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createRedisConnection(url);
    try {
      await waitForRedis(client, url, { timeoutMs: 2000 });
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
