import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDIS_FLAG_NAMES, RedisSettingsError, checkRedisSettings, hasHashTag, redisUrls } from './redis-settings.ts';

const single = { url: 'redis://127.0.0.1:6379', cluster: false, prefix: 'embedline' };
const cluster = { url: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000', cluster: true, prefix: '{embedline}' };

describe('hasHashTag: whether every key under the prefix hashes to one cluster slot', () => {
  test('a non-empty {tag} anywhere in the prefix', () => {
    for (const prefix of ['{embedline}', '{embedline}-blue', 'blue-{embedline}', '{a}']) assert.equal(hasHashTag(prefix), true, prefix);
  });

  test('no braces, an empty tag, or an unclosed one: Redis hashes the whole key', () => {
    for (const prefix of ['embedline', '{}', '{}x', '{embedline', 'embedline}']) assert.equal(hasHashTag(prefix), false, prefix);
  });
});

describe('checkRedisSettings', () => {
  test('one URL for a single Redis, any prefix; seed URLs and a hash-tag prefix for a cluster', () => {
    checkRedisSettings(single);
    checkRedisSettings({ ...single, prefix: '{embedline}' });
    checkRedisSettings(cluster);
    checkRedisSettings({ ...cluster, url: 'rediss://user:p%40ss@node-1.example:6380/0 , rediss://user:p%40ss@node-2.example:6380' });
    assert.deepEqual(redisUrls(' redis://a:1 ,, redis://b:2 '), ['redis://a:1', 'redis://b:2']);
  });

  test('cluster mode without a hash tag: names the variable, says why, and gives the prefix to use', () => {
    assert.throws(
      () => checkRedisSettings({ ...cluster, prefix: 'embedline' }),
      (error: Error) =>
        error instanceof RedisSettingsError &&
        error.message.startsWith('EMBEDLINE_QUEUE_PREFIX "embedline" has no hash tag, which Redis Cluster mode (EMBEDLINE_REDIS_CLUSTER=true) needs') &&
        /one hash slot/.test(error.message) &&
        error.message.endsWith('Set EMBEDLINE_QUEUE_PREFIX to "{embedline}"'),
    );
    assert.throws(() => checkRedisSettings({ ...cluster, prefix: '{}' }), /Set EMBEDLINE_QUEUE_PREFIX to "\{embedline\}"/);
  });

  test("the apps' flags are named with the variable they override", () => {
    assert.throws(
      () => checkRedisSettings({ ...cluster, prefix: 'prod' }, REDIS_FLAG_NAMES),
      /^RedisSettingsError: --prefix \(EMBEDLINE_QUEUE_PREFIX\) "prod" has no hash tag, which Redis Cluster mode \(--redis-cluster \(EMBEDLINE_REDIS_CLUSTER\)=true\) needs.*"\{prod\}"$/,
    );
  });

  test('several URLs without cluster mode: asks for cluster mode or one URL', () => {
    assert.throws(
      () => checkRedisSettings({ ...cluster, cluster: false }),
      /^RedisSettingsError: EMBEDLINE_REDIS_URL lists 2 URLs, but EMBEDLINE_REDIS_CLUSTER is off: set EMBEDLINE_REDIS_CLUSTER=true/,
    );
    assert.throws(() => checkRedisSettings({ ...single, url: ' , ' }), /EMBEDLINE_REDIS_URL is empty/);
  });

  test('seed URLs a cluster cannot use are named', () => {
    const seeds = (url: string) => () => checkRedisSettings({ ...cluster, url });
    assert.throws(seeds('10.0.0.1:7000'), /EMBEDLINE_REDIS_URL: "10.0.0.1:7000" is not a URL; cluster seed nodes are redis:\/\/host:port/);
    assert.throws(seeds('http://10.0.0.1:7000'), /"http:\/\/10.0.0.1:7000" is not a redis:\/\/ or rediss:\/\/ URL/);
    assert.throws(seeds('not a url'), /"not a url" is not a URL/);
    assert.throws(seeds('redis://10.0.0.1:7000/3'), /selects database 3, but a Redis Cluster has only database 0/);
    assert.throws(seeds('redis://:a@10.0.0.1:7000,redis://:b@10.0.0.2:7000'), /seed URLs differ in scheme, user or password/);
    assert.throws(seeds('redis://10.0.0.1:7000,rediss://10.0.0.2:7000'), /seed URLs differ/);
  });
});
