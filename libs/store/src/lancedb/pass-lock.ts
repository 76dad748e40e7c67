// A lock file that pauses every writer of a collection while one of them compacts it during an ingest.
import { open, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isLocalFolder } from './table-names.ts';

/** How often the holder touches the lock file, so that waiters can tell a live pass from a crashed one. */
const HEARTBEAT_MS = 2_000;
/** A lock file not touched for this long was left by a process that died mid-pass: waiters remove it. */
export const STALE_LOCK_MS = 30_000;
/** How often a writer looks whether the pass it waits for has ended. */
const POLL_MS = 100;
/**
 * The longest a writer waits for a live pass (passes take seconds to a few minutes at MS MARCO's size).
 * Past it the writer goes on, as it did before this lock existed: a pass stuck in LanceDB must not
 * stall every worker of the ingest.
 */
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * Why: LanceDB commits a compaction only after reconciling it with every version committed since the one
 * it read, loading each of their manifests (each lists every fragment). While one worker compacts,
 * writers that go on appending make that cost grow with the pass's length: two no-encoder workers
 * ingesting 4M passages on 2 cores ran at 10k passages/s instead of ~45k with one, their last shard
 * waited 2 minutes, and each worker reached 1.9 GB. With this lock, writers wait for the pass (seconds)
 * and the pass reconciles only the writes already in flight when it began.
 *
 * A file beside the collection's table (`.<collection>.compacting`), created exclusively by the writer
 * whose commit made the pass due. Works for a local folder, the embedded store's case; with an object
 * store URI there is no lock (writers do not wait).
 */
export class PassLock {
  readonly #path: string | undefined;

  constructor(uri: string, collection: string) {
    this.#path = isLocalFolder(uri) ? join(uri, `.${collection}.compacting`) : undefined;
  }

  /**
   * Runs `pass` holding the lock; `undefined` without running it when another writer holds it (that
   * one is compacting already).
   */
  async holding<T>(pass: () => Promise<T>): Promise<T | undefined> {
    if (this.#path === undefined) return pass();
    const path = this.#path;
    let file;
    try {
      file = await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    }
    await file.writeFile(`${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date() })}\n`);
    await file.close();
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      return await pass();
    } finally {
      clearInterval(heartbeat);
      await rm(path, { force: true });
    }
  }

  /**
   * Resolves once no pass holds the lock, or after `maxWaitMs`; a lock left by a crashed process (not
   * touched for `staleMs`) is removed.
   */
  async waitWhileHeld(staleMs = STALE_LOCK_MS, maxWaitMs = MAX_WAIT_MS): Promise<void> {
    if (this.#path === undefined) return;
    const started = Date.now();
    for (;;) {
      const held = await stat(this.#path).catch(() => undefined);
      if (held === undefined) return;
      if (Date.now() - held.mtimeMs > staleMs) {
        await rm(this.#path, { force: true });
        return;
      }
      if (Date.now() - started >= maxWaitMs) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Removes the lock file (the collection is being deleted). */
  async remove(): Promise<void> {
    if (this.#path !== undefined) await rm(this.#path, { force: true });
  }
}
