import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  freePort,
  killRedisServer,
  spawnRedisServer,
  waitForRedis,
} from '../../test/support/private-redis.ts';

const PACK_REDIS = new URL('./pack-redis.sh', import.meta.url).pathname;

describe('pack-redis.sh', () => {
  const bundle = mkdtempSync(join(tmpdir(), 'embedline-pack-redis-'));
  after(() => rmSync(bundle, { recursive: true, force: true }));

  it('packs a redis-server that starts from the bundle and loads the bundled libraries', async () => {
    execFileSync('bash', [PACK_REDIS, bundle], { stdio: 'pipe' });
    const libraries = readdirSync(join(bundle, 'lib/redis'));
    assert.ok(libraries.length > 0, 'no libraries packed');
    assert.ok(
      !libraries.some((name) => /^(libc|libm|ld-linux)[.-]/.test(name)),
      `glibc packed: ${libraries.join(', ')}`,
    );

    const port = await freePort();
    const server = spawnRedisServer(port, bundle, [], join(bundle, 'bin/redis-server'));
    try {
      await waitForRedis(port);
      const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
      try {
        const info = await client.info('server');
        assert.equal(/executable:(.*)\r?\n/.exec(info)?.[1]?.trim(), join(bundle, 'libexec/redis-server'));
      } finally {
        client.disconnect();
      }
      // The wrapper execs redis, so the child's pid is the server's: its mapped libraries come from the bundle.
      const maps = readFileSync(`/proc/${server.pid}/maps`, 'utf8');
      const fromBundle = libraries.filter((name) => maps.includes(join(bundle, 'lib/redis', name)));
      assert.ok(fromBundle.length > 0, `none of ${libraries.join(', ')} was loaded from the bundle`);
    } finally {
      await killRedisServer(server);
    }
  });
});
