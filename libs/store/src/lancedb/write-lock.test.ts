import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WriteLock } from './write-lock.ts';

const folder = await mkdtemp(join(tmpdir(), 'embedline-write-lock-'));
after(() => rm(folder, { recursive: true, force: true }));
const lockFile = (collection: string) => join(folder, `.${collection}.writing`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a write runs holding a lock file beside the table, released after it, with its result', async () => {
  const result = await new WriteLock(folder, 'docs').holding(async () => {
    assert.ok(existsSync(lockFile('docs')), 'the lock file exists while the write runs');
    return 'written';
  });
  assert.equal(result, 'written');
  assert.ok(!existsSync(lockFile('docs')), 'released after the write');
});

test('writers of one collection (separate locks, as separate processes have) take turns; other collections do not wait', async () => {
  const spans = new Map<string, [number, number][]>();
  const write = (collection: string) =>
    new WriteLock(folder, collection).holding(async () => {
      const start = performance.now();
      await sleep(30);
      spans.set(collection, [...(spans.get(collection) ?? []), [start, performance.now()]]);
    });
  await Promise.all([...Array.from({ length: 5 }, () => write('turns')), write('elsewhere')]);
  const turns = spans.get('turns')!.sort((a, b) => a[0] - b[0]);
  assert.equal(turns.length, 5);
  for (let i = 1; i < turns.length; i++)
    assert.ok(turns[i]![0] >= turns[i - 1]![1], `write ${i} began after ${i - 1} ended`);
  const [[elsewhere]] = [spans.get('elsewhere')!];
  assert.ok(elsewhere![0] < turns[1]![0], 'the other collection did not wait for the turns');
});

test('the lock is released when the write fails', async () => {
  await assert.rejects(
    new WriteLock(folder, 'fails').holding(async () => {
      throw new Error('commit failed');
    }),
    /commit failed/,
  );
  assert.ok(!existsSync(lockFile('fails')));
});

test('a lock left by a crashed process (not touched for the stale time) is removed by the next writer', async () => {
  await writeFile(lockFile('crashed'), '{"pid":1}\n');
  const old = new Date(Date.now() - 60_000);
  await utimes(lockFile('crashed'), old, old);
  const started = Date.now();
  assert.equal(await new WriteLock(folder, 'crashed').holding(async () => 'written'), 'written');
  assert.ok(Date.now() - started < 1_000, 'no wait for a stale lock');
  assert.ok(!existsSync(lockFile('crashed')));
});

test('a lock whose holder on this machine was killed is removed once it misses a heartbeat, not after the stale time', async () => {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  const holder = (pid: number) => `${JSON.stringify({ pid, host: hostname(), since: new Date() })}\n`;
  const missedHeartbeat = new Date(Date.now() - 5_000);
  await writeFile(lockFile('killed'), holder(dead.pid!));
  await utimes(lockFile('killed'), missedHeartbeat, missedHeartbeat);
  const started = Date.now();
  await new WriteLock(folder, 'killed').holding(async () => undefined);
  assert.ok(Date.now() - started < 1_000, 'no wait for a holder that is gone');
  // A live holder (this process) that missed a heartbeat is still waited for, until the stale time.
  await writeFile(lockFile('alive'), holder(process.pid));
  await utimes(lockFile('alive'), missedHeartbeat, missedHeartbeat);
  await new WriteLock(folder, 'alive', { maxWaitMs: 300 }).holding(async () => undefined);
  assert.ok(existsSync(lockFile('alive')), "a running holder's lock is kept");
});

test('a live lock is waited for, and after the longest wait the write goes on without it', async () => {
  await writeFile(lockFile('stuck'), '{"pid":1}\n');
  const started = Date.now();
  await new WriteLock(folder, 'stuck', { maxWaitMs: 300 }).holding(async () => {
    assert.ok(Date.now() - started >= 250, 'waited for the live lock');
  });
  assert.ok(existsSync(lockFile('stuck')), 'a live lock is not removed, only no longer waited for');
});

test('a long write keeps its lock fresh, so waiters never take it for a crashed one', async () => {
  const long = new WriteLock(folder, 'long').holding(() => sleep(2_600)); // longer than the heartbeat (2 s)
  await sleep(2_300);
  const age = Date.now() - (await stat(lockFile('long'))).mtimeMs;
  assert.ok(age < 1_000, `touched ${age} ms ago`);
  await long;
});

test('a writer in another process waits for the holder, then writes', async () => {
  // The other process holds the lock for 400 ms; this one asks for it once the file is there.
  const script = `
    import { WriteLock } from ${JSON.stringify(new URL('./write-lock.ts', import.meta.url).href)};
    await new WriteLock(process.argv[1], 'other').holding(async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      console.log(Date.now());
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, folder], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!existsSync(lockFile('other'))) {
    assert.ok(Date.now() < deadline, 'the other process never took the lock');
    await sleep(5);
  }
  const began = await new WriteLock(folder, 'other').holding(async () => Date.now());
  assert.equal(await exited, 0);
  const holderEnded = Number(out.trim());
  assert.ok(began >= holderEnded, `wrote at ${began}, the other process held the lock until ${holderEnded}`);
});

test('an object-store URI has no lock: writes run at once, together', async () => {
  let running = 0;
  let most = 0;
  const write = () =>
    new WriteLock('s3://bucket/lancedb', 'docs').holding(async () => {
      most = Math.max(most, ++running);
      await sleep(20);
      running--;
    });
  await Promise.all([write(), write()]);
  assert.equal(most, 2);
  await new WriteLock('s3://bucket/lancedb', 'docs').remove();
});
