import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadEnv } from './env-schema.ts';

describe('loadEnv', () => {
  test('defaults suit one machine: local Redis, embedded LanceDB store, CPU', () => {
    const env = loadEnv({});
    assert.equal(env.EMBEDLINE_REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(env.EMBEDLINE_STORE, 'lancedb');
    assert.equal(env.EMBEDLINE_PROVIDER, 'auto');
    assert.equal(env.EMBEDLINE_SHARD_SIZE, 1000);
  });

  test('numbers and flags are parsed from strings', () => {
    const env = loadEnv({ EMBEDLINE_DEVICE_ID: '3', EMBEDLINE_ALLOW_REFERENCE_MODEL: '0' });
    assert.equal(env.EMBEDLINE_DEVICE_ID, 3);
    assert.equal(env.EMBEDLINE_ALLOW_REFERENCE_MODEL, false);
    assert.equal(loadEnv({}).EMBEDLINE_INTRA_OP_SPINNING, false);
    assert.equal(loadEnv({ EMBEDLINE_INTRA_OP_SPINNING: 'true' }).EMBEDLINE_INTRA_OP_SPINNING, true);
  });

  test('a bad value names the variable', () => {
    assert.throws(() => loadEnv({ EMBEDLINE_STORE: 'mysql' }), /invalid environment: EMBEDLINE_STORE: /);
    assert.throws(() => loadEnv({ EMBEDLINE_SHARD_SIZE: 'lots' }), /EMBEDLINE_SHARD_SIZE/);
    assert.throws(() => loadEnv({ EMBEDLINE_QDRANT_BATCH_SIZE: '2000' }), /EMBEDLINE_QDRANT_BATCH_SIZE: expected a whole number from 1 to 1024/);
  });

  test('a blank or non-numeric number is an error quoting it, never 0 (a random port, device 0)', () => {
    for (const name of ['EMBEDLINE_API_PORT', 'EMBEDLINE_WORKER_METRICS_PORT', 'EMBEDLINE_DEVICE_ID', 'EMBEDLINE_SHARD_SIZE']) {
      assert.throws(() => loadEnv({ [name]: '' }), new RegExp(`^TypeError: invalid environment: ${name}: is empty: expected a whole number .*\\(unset it for the default\\)$`));
      assert.throws(() => loadEnv({ [name]: '  ' }), new RegExp(`${name}: is empty`));
    }
    assert.throws(() => loadEnv({ EMBEDLINE_SHARD_SIZE: 'lots' }), /^TypeError: invalid environment: EMBEDLINE_SHARD_SIZE: expected a whole number >= 1, got "lots"$/);
    assert.throws(() => loadEnv({ EMBEDLINE_DEVICE_ID: '1.5' }), /EMBEDLINE_DEVICE_ID: expected a whole number >= 0, got "1.5"/);
    assert.throws(() => loadEnv({ EMBEDLINE_API_PORT: '70000' }), /EMBEDLINE_API_PORT: expected a whole number from 0 to 65535, got "70000"/);
    assert.equal(loadEnv({ EMBEDLINE_API_PORT: ' 0 ' }).EMBEDLINE_API_PORT, 0);
    assert.equal(loadEnv({ EMBEDLINE_WORKER_METRICS_PORT: '9464' }).EMBEDLINE_WORKER_METRICS_PORT, 9464);
    assert.equal(loadEnv({}).EMBEDLINE_WORKER_METRICS_PORT, undefined);
  });

  test('a blank model folder, variant or LanceDB folder is named, not passed on to fail later unnamed', () => {
    for (const name of ['EMBEDLINE_MODEL_DIR', 'EMBEDLINE_MODEL_VARIANT', 'EMBEDLINE_LANCEDB_DIR']) {
      assert.throws(() => loadEnv({ [name]: '' }), new RegExp(`^TypeError: invalid environment: ${name}: is empty`));
    }
  });

  test('API settings: defaults, comma-separated key and origin lists, bad values named', () => {
    const defaults = loadEnv({});
    assert.equal(defaults.EMBEDLINE_API_HOST, '0.0.0.0');
    assert.equal(defaults.EMBEDLINE_API_PORT, 8080);
    assert.deepEqual(defaults.EMBEDLINE_API_READ_KEYS, []);
    assert.equal(defaults.EMBEDLINE_API_DEFAULT_COLLECTION, undefined);
    const env = loadEnv({
      EMBEDLINE_API_READ_KEYS: ' key-one , key-two,,',
      EMBEDLINE_API_CORS_ORIGINS: 'https://a.example,https://b.example',
      EMBEDLINE_API_RATE_LIMIT: '120',
      EMBEDLINE_API_BATCH_WAIT_MS: '0.5',
    });
    assert.deepEqual(env.EMBEDLINE_API_READ_KEYS, ['key-one', 'key-two']);
    assert.deepEqual(env.EMBEDLINE_API_CORS_ORIGINS, ['https://a.example', 'https://b.example']);
    assert.equal(env.EMBEDLINE_API_RATE_LIMIT, 120);
    assert.equal(env.EMBEDLINE_API_BATCH_WAIT_MS, 0.5);
    assert.throws(() => loadEnv({ EMBEDLINE_API_PORT: '70000' }), /EMBEDLINE_API_PORT/);
    assert.throws(() => loadEnv({ EMBEDLINE_API_DEFAULT_COLLECTION: 'a:b' }), /EMBEDLINE_API_DEFAULT_COLLECTION/);
  });

  test('API bounds: search hits and request timeout have defaults and take integers only', () => {
    const env = loadEnv({});
    assert.equal(env.EMBEDLINE_API_MAX_SEARCH_HITS, 10_000);
    assert.equal(env.EMBEDLINE_API_REQUEST_TIMEOUT_MS, 30_000);
    assert.equal(loadEnv({ EMBEDLINE_API_REQUEST_TIMEOUT_MS: '0' }).EMBEDLINE_API_REQUEST_TIMEOUT_MS, 0);
    assert.throws(() => loadEnv({ EMBEDLINE_API_MAX_SEARCH_HITS: '0' }), /EMBEDLINE_API_MAX_SEARCH_HITS/);
  });

  test('API behind a proxy: EMBEDLINE_API_TRUST_PROXY is false, true, a hop count or proxy addresses; anything else is named', () => {
    const trust = (value?: string) => loadEnv(value === undefined ? {} : { EMBEDLINE_API_TRUST_PROXY: value }).EMBEDLINE_API_TRUST_PROXY;
    assert.equal(trust(), false);
    assert.equal(trust('true'), true);
    assert.equal(trust('false'), false);
    assert.equal(trust('2'), 2);
    assert.deepEqual(trust(' 10.0.0.0/8, loopback ,fd00::/8,192.168.1.7 '), ['10.0.0.0/8', 'loopback', 'fd00::/8', '192.168.1.7']);
    assert.throws(() => trust(''), /EMBEDLINE_API_TRUST_PROXY: expected true, false, a number of proxy hops, .*, got an empty value$/);
    assert.throws(() => trust('10.0.0.0/33,ingress'), /EMBEDLINE_API_TRUST_PROXY: .*; not one of those: "10\.0\.0\.0\/33", "ingress"$/);
    assert.throws(() => trust('yes'), /EMBEDLINE_API_TRUST_PROXY: .*not one of those: "yes"$/);
  });

  test('Redis: one node by default; cluster mode and a {hash tag} prefix are accepted, bad prefixes named', () => {
    const defaults = loadEnv({});
    assert.equal(defaults.EMBEDLINE_REDIS_CLUSTER, false);
    assert.equal(defaults.EMBEDLINE_QUEUE_PREFIX, 'embedline');
    const cluster = loadEnv({
      EMBEDLINE_REDIS_URL: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000',
      EMBEDLINE_REDIS_CLUSTER: 'true',
      EMBEDLINE_QUEUE_PREFIX: '{embedline}',
    });
    assert.equal(cluster.EMBEDLINE_REDIS_CLUSTER, true);
    assert.equal(cluster.EMBEDLINE_REDIS_URL, 'redis://10.0.0.1:7000,redis://10.0.0.2:7000');
    for (const prefix of ['{embedline}', '{embedline}-blue', 'blue.{embedline}', 'e2e-main_1.x'])
      assert.equal(loadEnv({ EMBEDLINE_QUEUE_PREFIX: prefix }).EMBEDLINE_QUEUE_PREFIX, prefix);
    for (const prefix of ['', '{}', '{a}{b}', '{embedline', 'embed line', 'a:b'])
      assert.throws(() => loadEnv({ EMBEDLINE_QUEUE_PREFIX: prefix }), /invalid environment: EMBEDLINE_QUEUE_PREFIX: .*at most one \{hash tag\}/, prefix);
    assert.throws(() => loadEnv({ EMBEDLINE_REDIS_CLUSTER: 'yes' }), /EMBEDLINE_REDIS_CLUSTER/);
  });
});
