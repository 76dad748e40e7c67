// A lock file that lets one process at a time write a collection of the embedded store (and compact it
// during an ingest), so that writers take turns instead of racing LanceDB's optimistic commits.
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isLocalFolder } from './table-names.ts';

/** How often the holder touches the lock file, so that waiters can tell a live holder from a crashed one. */
const HEARTBEAT_MS = 2_000;
/** A lock file not touched for this long was left by a process that died holding it: waiters remove it. */
export const STALE_LOCK_MS = 30_000;
/** Waiters look again after a random pause up to this long (a write holds the lock for ~10-50 ms). */
const MAX_POLL_MS = 10;
/**
 * The longest a writer waits (a compaction pass holds the lock for seconds to a few minutes at MS
 * MARCO's size). Past it the writer writes without the lock: LanceDB's commits stay correct without it
 * (it only spares their races), and a holder stuck in LanceDB must not stall every worker of the ingest.
 */
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * The turns of this process's writers, per lock file: each waits for the one before it here, and only
 * the writer whose turn it is polls the file. Lanes of one worker then hand over at once instead of
 * each polling after its own random pause, which cost one writer's rate ~10% when commits bound it.
 */
const turnsInThisProcess = new Map<string, Promise<void>>();

export interface WriteLockTimes {
  /** See STALE_LOCK_MS. */
  readonly staleMs?: number;
  /** See MAX_WAIT_MS. */
  readonly maxWaitMs?: number;
}

/**
 * Why: LanceDB commits optimistically. A writer whose commit lost the race loads the manifest of every
 * version committed since the one it read (each lists every fragment) and tries again, and while another
 * process keeps committing it can lose for seconds: two no-encoder writers on 2 cores saw appends take
 * 11-28 s (`committed read_version=1013 committed_version=1608`), and the loser's memory grew by
 * hundreds of MiB with the manifests (bench/store/two-writer-probe.ts). A compaction pass is the worst
 * case: it reconciles with every version appended while it ran. Taking turns costs nothing that the
 * races did not: commits to one table are serial either way.
 *
 * A file beside the collection's table (`.<collection>.writing`), created exclusively. Works for a
 * local folder, the embedded store's case; with an object-store URI there is no lock (writers race, as
 * LanceDB allows). The lock is for speed, never for correctness: where two waiters remove one stale
 * lock file at once, both may write together for a moment, which LanceDB's commits handle.
 */
export class WriteLock {
  readonly #path: string | undefined;
  readonly #staleMs: number;
  readonly #maxWaitMs: number;

  constructor(uri: string, collection: string, times: WriteLockTimes = {}) {
    this.#path = isLocalFolder(uri) ? join(uri, `.${collection}.writing`) : undefined;
    this.#staleMs = times.staleMs ?? STALE_LOCK_MS;
    this.#maxWaitMs = times.maxWaitMs ?? MAX_WAIT_MS;
  }

  /** Runs `write` holding the lock: once it is free, or after the longest wait without it. */
  async holding<T>(write: () => Promise<T>): Promise<T> {
    const path = this.#path;
    if (path === undefined) return write();
    const started = Date.now();
    const endTurn = await this.#awaitTurnInThisProcess(path);
    try {
      if (!(await this.#acquire(path, started))) return await write();
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      try {
        return await write();
      } finally {
        clearInterval(heartbeat);
        await rm(path, { force: true });
      }
    } finally {
      endTurn();
    }
  }

  /** Removes the lock file (the collection is being deleted). */
  async remove(): Promise<void> {
    if (this.#path !== undefined) await rm(this.#path, { force: true });
  }

  /**
   * Waits for the writers of this process queued before this one (no longer than the longest wait);
   * resolves to the function that ends this one's turn.
   */
  async #awaitTurnInThisProcess(path: string): Promise<() => void> {
    const before = turnsInThisProcess.get(path) ?? Promise.resolve();
    let endTurn!: () => void;
    const mine = new Promise<void>((resolve) => (endTurn = resolve));
    const last = before.then(() => mine);
    turnsInThisProcess.set(path, last);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([before, new Promise((resolve) => (timer = setTimeout(resolve, this.#maxWaitMs)))]);
    clearTimeout(timer);
    return () => {
      endTurn();
      if (turnsInThisProcess.get(path) === last) turnsInThisProcess.delete(path);
    };
  }

  /** Creates the lock file; false when the longest wait (from `started`) passed first. A stale lock file is removed. */
  async #acquire(path: string, started: number): Promise<boolean> {
    for (;;) {
      if (await createExclusively(path)) return true;
      const held = await stat(path).catch(() => undefined);
      if (held !== undefined && (await isAbandoned(path, Date.now() - held.mtimeMs, this.#staleMs))) {
        await rm(path, { force: true });
      } else if (Date.now() - started >= this.#maxWaitMs) return false;
      else await new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_POLL_MS));
    }
  }
}

/**
 * Whether a lock file's holder is gone: it was not touched for `staleMs`, or it missed a heartbeat and
 * names a process of this machine that no longer runs (a worker killed with -9: the other workers of its
 * machine go on at once instead of after `staleMs`).
 */
async function isAbandoned(path: string, ageMs: number, staleMs: number): Promise<boolean> {
  if (ageMs > staleMs) return true;
  if (ageMs <= HEARTBEAT_MS + 1_000) return false;
  const holder = await readHolder(path);
  return holder !== undefined && holder.host === hostname() && !isRunning(holder.pid);
}

async function readHolder(path: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const { pid, host } = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof pid === 'number' && typeof host === 'string' ? { pid, host } : undefined;
  } catch {
    return undefined; // gone meanwhile, or still being written: judged by its age alone
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it runs, as another user
  }
}

/** Creates the file with its holder's identity; false when it exists. */
async function createExclusively(path: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await file.writeFile(`${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date() })}\n`);
  } finally {
    await file.close();
  }
  return true;
}
