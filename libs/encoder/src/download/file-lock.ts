// One downloader per file at a time: several Embedline processes (API, workers) may start at once on a
// cold cache, and two of them appending to the same `.incomplete` file would corrupt it. The lock is a
// file created with O_EXCL holding the owner's pid and host; a lock whose owner died (same host, pid
// gone) or that nobody has touched for a minute (the owner refreshes it while it works) is taken over.
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { sleep } from './hub-http.ts';

const STALE_AFTER_MS = 60_000;
const HEARTBEAT_MS = 10_000;
/** Waiting polls quickly at first (a small file is done in milliseconds), then every half second. */
const POLL_MS = { first: 20, max: 500 };

function ownerIsGone(lockPath: string): boolean {
  const stat = statSync(lockPath, { throwIfNoEntry: false });
  if (stat === undefined) return false; // released meanwhile: just try again
  if (Date.now() - stat.mtimeMs > STALE_AFTER_MS) return true;
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as { pid?: unknown; host?: unknown };
    if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Waits for and takes the lock; the returned function releases it. */
export async function acquireFileLock(
  lockPath: string,
  options: { signal?: AbortSignal; onWait?: () => void } = {},
): Promise<() => void> {
  mkdirSync(dirname(lockPath), { recursive: true });
  let waited = false;
  let poll = POLL_MS.first;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(
          fd,
          JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
        );
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (ownerIsGone(lockPath)) {
      // Move it aside before deleting, so that of several waiters only one takes it over.
      const aside = `${lockPath}.stale.${process.pid}.${Date.now()}`;
      try {
        renameSync(lockPath, aside);
        rmSync(aside, { force: true });
      } catch {
        // another waiter got there first
      }
      continue;
    }
    if (!waited) options.onWait?.();
    waited = true;
    await sleep(poll, options.signal);
    poll = Math.min(poll * 2, POLL_MS.max);
  }
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      // lock gone: nothing to keep alive
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    rmSync(lockPath, { force: true });
  };
}
