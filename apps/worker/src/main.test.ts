/**
 * The worker's flags as users pass them, in its own process: a value the matching variable would refuse is a
 * usage error naming the flag, before the model loads or Redis is reached.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runNode, type ProcessResult } from '@embedline/testing';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function worker(args: string[]): Promise<ProcessResult> {
  return runNode(['--import', 'tsx', 'apps/worker/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    // Nothing listens on port 1, and no model folder exists: a flag that got through would fail later, unnamed.
    env: {
      ...process.env,
      EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1',
      EMBEDLINE_MODEL_DIR: '/nonexistent-model',
    },
  });
}

describe('embedline-worker: bad flags', { timeout: 120_000 }, () => {
  const cases: [string[], RegExp][] = [
    [
      ['--concurrency', '0'],
      /^error: option '--concurrency <n>' argument '0' is invalid\. expected a positive whole number, got "0"$/,
    ],
    [
      ['--max-batch-tokens', '0'],
      /^error: option '--max-batch-tokens <n>' argument '0' is invalid\. expected a positive whole number/,
    ],
    [
      ['--inference-threads', '0'],
      /^error: option '--inference-threads <n>' argument '0' is invalid\. expected a positive whole number/,
    ],
    [
      ['--provider', 'gpu'],
      /^error: option '--provider <cpu\|cuda\|auto>' argument 'gpu' is invalid\. Allowed choices are cpu, cuda, auto\.$/,
    ],
    [
      ['--metrics-port', '70000'],
      /^error: option '--metrics-port <n>' argument '70000' is invalid\. expected a port from 0 to 65535, got "70000"$/,
    ],
    [
      ['--device-id', ''],
      /^error: option '--device-id <n>' argument '' is invalid\. expected a whole number, got ""$/,
    ],
  ];
  for (const [args, expected] of cases) {
    test(args.join(' '), async () => {
      const { code, stdout, stderr } = await worker(args);
      assert.equal(code, 1, stderr);
      assert.equal(stdout, '');
      assert.match(stderr.trim(), expected);
    });
  }
});

describe('embedline-worker: a store folder it cannot write', { timeout: 60_000 }, () => {
  test('stops it with one line naming EMBEDLINE_LANCEDB_DIR, before it reaches Redis or says it is ready', () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-worker-store-'));
    try {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const store = join(file, 'lancedb'); // under a file: no process can create it, root included
      // Without the check the worker would wait for Redis (nothing on port 1) for ever: 20 s is plenty.
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'apps/worker/src/main.ts', '--queues', 'finalize'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1', EMBEDLINE_LANCEDB_DIR: store },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.equal(
        result.stderr.trim(),
        `embedline-worker: EMBEDLINE_LANCEDB_DIR ${store}: the worker cannot write the store there (ENOTDIR)`,
      );
      assert.doesNotMatch(result.stdout, /worker ready|Redis/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
