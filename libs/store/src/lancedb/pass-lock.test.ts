import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PassLock } from './pass-lock.ts';

const folder = await mkdtemp(join(tmpdir(), 'embedline-pass-lock-'));
after(() => rm(folder, { recursive: true, force: true }));
const lockFile = (collection: string) => join(folder, `.${collection}.compacting`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the pass holds a lock file; a second writer does not run its own pass meanwhile', async () => {
  const lock = new PassLock(folder, 'docs');
  let release!: () => void;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const first = lock.holding(async () => {
    assert.ok(existsSync(lockFile('docs')), 'the lock file exists while the pass runs');
    started();
    await new Promise<void>((resolve) => (release = resolve));
    return 'first';
  });
  await running;
  assert.equal(await new PassLock(folder, 'docs').holding(async () => 'second'), undefined);
  release();
  assert.equal(await first, 'first');
  assert.ok(!existsSync(lockFile('docs')), 'released after the pass');
});

test('writers wait while a pass runs and go on once it ends', async () => {
  const lock = new PassLock(folder, 'wait');
  const events: string[] = [];
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const pass = lock.holding(async () => {
    started();
    await sleep(300);
    events.push('pass ended');
  });
  await running;
  await new PassLock(folder, 'wait').waitWhileHeld();
  events.push('writer went on');
  await pass;
  assert.deepEqual(events, ['pass ended', 'writer went on']);
  const before = Date.now();
  await lock.waitWhileHeld();
  assert.ok(Date.now() - before < 100, 'no wait when no pass runs');
});

test('the lock is released when the pass fails', async () => {
  const lock = new PassLock(folder, 'fails');
  await assert.rejects(
    lock.holding(async () => {
      throw new Error('compaction failed');
    }),
    /compaction failed/,
  );
  assert.ok(!existsSync(lockFile('fails')));
});

test('a lock left by a crashed process (not touched for the stale time) is removed by the next writer', async () => {
  await writeFile(lockFile('crashed'), '{"pid":1}\n');
  const old = new Date(Date.now() - 60_000);
  await utimes(lockFile('crashed'), old, old);
  await new PassLock(folder, 'crashed').waitWhileHeld(30_000);
  assert.ok(!existsSync(lockFile('crashed')));
  // A live one is kept and waited for: here, until the test's own short stale time passes.
  await writeFile(lockFile('live'), '{"pid":1}\n');
  const started = Date.now();
  await new PassLock(folder, 'live').waitWhileHeld(300);
  assert.ok(Date.now() - started >= 250, 'waited for the live lock');
});

test('a long pass keeps its lock fresh, so waiters never take it for a crashed one', async () => {
  const lock = new PassLock(folder, 'long');
  let waited = false;
  const pass = lock.holding(async () => {
    await sleep(2_600); // longer than the heartbeat (2 s)
  });
  await sleep(2_300);
  const waiting = new PassLock(folder, 'long').waitWhileHeld(1_000).then(() => (waited = true));
  await sleep(100);
  assert.equal(waited, false, 'a lock touched within the stale time is live');
  await pass;
  await waiting;
});

test('a writer stops waiting for a live pass after the longest wait', async () => {
  await writeFile(lockFile('stuck'), '{"pid":1}\n');
  const started = Date.now();
  await new PassLock(folder, 'stuck').waitWhileHeld(60_000, 300);
  assert.ok(Date.now() - started >= 250);
  assert.ok(existsSync(lockFile('stuck')), 'a live lock is not removed, only no longer waited for');
});

test('an object-store URI has no lock: the pass runs, writers never wait', async () => {
  const lock = new PassLock('s3://bucket/lancedb', 'docs');
  assert.equal(await lock.holding(async () => 'ran'), 'ran');
  await lock.waitWhileHeld();
  await lock.remove();
});
