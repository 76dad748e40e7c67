/**
 * apps/api started as operators start it, with a bad setting: one line on stderr naming the setting, exit 1,
 * and (for what can be checked without I/O) before the model loads; a store with nothing to search for it
 * is a warning naming the setting.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { LanceDbStore } from '@embedline/store';
import { runNode } from '../libs/testing/src/run-process.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

function apiEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1', // nothing listens there; the API starts without Redis
    EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
    EMBEDLINE_PROVIDER: 'cpu',
    EMBEDLINE_INTRA_OP_THREADS: '1',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** Starts the API (port 0), waits for its log to say it listens, stops it with SIGTERM: its log and exit code. */
async function startAndStop(env: Record<string, string>): Promise<{ code: number | null; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: REPO_ROOT,
    env: apiEnv({ EMBEDLINE_API_HOST: '127.0.0.1', EMBEDLINE_API_PORT: '0', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('api listening on')) resolve();
    });
    void exited.then(() => reject(new Error(`the API exited before listening:\n${log}`)));
  });
  child.kill('SIGTERM');
  return { code: await exited, log };
}

function warnings(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level === 40)
    .map((entry) => entry.msg);
}

function api(env: Record<string, string>) {
  return runNode(['--import', 'tsx', 'apps/api/src/main.ts'], { cwd: REPO_ROOT, env: apiEnv(env) });
}

describe('embedline-api: bad settings at start', { timeout: 120_000 }, () => {
  test('--help prints the usage and exits; any other argument is refused (it was ignored, and the API started)', async () => {
    // The model folder does not exist: had the API started, it would have failed on that instead.
    const env = apiEnv({ EMBEDLINE_MODEL_DIR: '/nonexistent-model' });
    const help = await runNode(['--import', 'tsx', 'apps/api/src/main.ts', '--help'], {
      cwd: REPO_ROOT,
      env,
    });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: embedline-api\n/);
    assert.match(help.stdout, /EMBEDLINE_API_PORT \(8080\)/);
    const bad = await runNode(['--import', 'tsx', 'apps/api/src/main.ts', '--port', '9000'], {
      cwd: REPO_ROOT,
      env,
    });
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(
      bad.stderr.trim(),
      'embedline-api: takes no arguments (got "--port" "9000"): settings are environment variables; --help lists the main ones',
    );
  });

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

  test('a CORS origin that could never match (a trailing slash, a path) is refused before the model loads', async () => {
    const { code, stderr } = await api({
      EMBEDLINE_API_CORS_ORIGINS: 'https://app.example.com/',
      EMBEDLINE_MODEL_DIR: '/nonexistent-model',
    });
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr.trim(),
      'embedline-api: EMBEDLINE_API_CORS_ORIGINS: "https://app.example.com/" is not an origin: scheme://host[:port], ' +
        'no path or trailing slash, or * (did you mean https://app.example.com?)',
    );
  });

  test('Qdrant without QDRANT_URL is named before the model loads', async () => {
    const { code, stderr } = await api({
      EMBEDLINE_STORE: 'qdrant',
      EMBEDLINE_MODEL_DIR: '/nonexistent-model',
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr.trim(), /^embedline-api: EMBEDLINE_STORE=qdrant needs QDRANT_URL/);
  });

  test('a store that does not answer at start is a warning naming it', async () => {
    const { code, log } = await startAndStop({ EMBEDLINE_STORE: 'qdrant', QDRANT_URL: 'http://127.0.0.1:9' });
    assert.equal(code, 0, log);
    assert.ok(
      warnings(log).some((line) =>
        /^Qdrant at http:\/\/127\.0\.0\.1:9 \(QDRANT_URL\) (did not answer within 5 s|does not answer \(.+\)): \/readyz says so/.test(
          line,
        ),
      ),
      log,
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

  test('a store with no collection, or without the default one, is a warning naming the setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-api-startup-'));
    try {
      const missing = join(dir, 'typo');
      const empty = await startAndStop({ EMBEDLINE_LANCEDB_DIR: missing });
      assert.equal(empty.code, 0, empty.log);
      assert.ok(
        warnings(empty.log).includes(
          `the LanceDB folder ${missing} (EMBEDLINE_LANCEDB_DIR), which does not exist, has no collections yet: ` +
            'searches answer 404 until an ingest writes one',
        ),
        empty.log,
      );
      const store = new LanceDbStore({ uri: join(dir, 'lancedb') });
      await store.createCollection('docs', { dimension: 64 });
      await store.close();
      const other = await startAndStop({
        EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
        EMBEDLINE_API_DEFAULT_COLLECTION: 'msmarco',
      });
      assert.equal(other.code, 0, other.log);
      assert.ok(
        warnings(other.log).includes(
          `EMBEDLINE_API_DEFAULT_COLLECTION "msmarco" is not among the collections of the LanceDB folder ` +
            `${join(dir, 'lancedb')} (EMBEDLINE_LANCEDB_DIR): docs`,
        ),
        other.log,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
