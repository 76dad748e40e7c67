/**
 * apps/api started as operators start it, with a bad setting: one line on stderr naming the setting, exit 1,
 * and (for what can be checked without I/O) before the model loads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { runNode } from '../libs/testing/src/run-process.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

function api(env: Record<string, string>) {
  return runNode(['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1', // nothing listens there; the API starts without Redis
      EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
      EMBEDLINE_PROVIDER: 'cpu',
      EMBEDLINE_INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

describe('embedline-api: bad settings at start', { timeout: 120_000 }, () => {
  test('a key too short is named by its variable before the model loads', async () => {
    // The model folder does not exist either: were the keys checked after the load, that would be the error.
    const { code, stderr } = await api({
      EMBEDLINE_API_READ_KEYS: 'read-key-0123456789abcdef,short',
      EMBEDLINE_MODEL_DIR: '/nonexistent-model',
    });
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr.trim(),
      'embedline-api: EMBEDLINE_API_READ_KEYS: key #2 is 5 characters; keys need at least 16',
    );
  });

  test('a port in use is one line naming the address and its settings', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const store = mkdtempSync(join(tmpdir(), 'embedline-api-startup-'));
    try {
      const { code, stderr } = await api({
        EMBEDLINE_API_HOST: '127.0.0.1',
        EMBEDLINE_API_PORT: String(port),
        EMBEDLINE_LANCEDB_DIR: store,
      });
      assert.equal(code, 1, stderr);
      const lines = stderr.trim().split('\n');
      assert.match(
        lines.at(-1)!,
        new RegExp(
          `^embedline-api: cannot listen on 127\\.0\\.0\\.1:${port} \\(EMBEDLINE_API_HOST, EMBEDLINE_API_PORT\\): .*EADDRINUSE`,
        ),
      );
    } finally {
      taken.close();
      rmSync(store, { recursive: true, force: true });
    }
  });
});
