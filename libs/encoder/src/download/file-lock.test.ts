import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireFileLock } from './file-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'embedline-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a second holder waits until the first releases', async () => {
  const lock = join(root, 'a.lock');
  const release = await acquireFileLock(lock);
  let second = false;
  const waiting = acquireFileLock(lock).then((r) => {
    second = true;
    return r;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(second, false);
  release();
  (await waiting)();
  assert.equal(existsSync(lock), false);
});

test('a lock left by a process that died is taken over', async () => {
  const lock = join(root, 'b.lock');
  const dead = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  writeFileSync(lock, JSON.stringify({ pid: Number(dead), host: hostname() }));
  const release = await acquireFileLock(lock);
  release();
});

test('waiting for a lock can be aborted', async () => {
  const lock = join(root, 'c.lock');
  const release = await acquireFileLock(lock);
  await assert.rejects(acquireFileLock(lock, { signal: AbortSignal.timeout(30) }), { name: 'TimeoutError' });
  release();
});
