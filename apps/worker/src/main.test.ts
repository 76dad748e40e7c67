/**
 * The worker's flags as users pass them, in its own process: a value the matching variable would refuse is a
 * usage error naming the flag, before the model loads or Redis is reached.
 */
import assert from 'node:assert/strict';
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
