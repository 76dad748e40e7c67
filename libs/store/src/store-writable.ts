import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoreSettings } from './open-store.ts';

/**
 * Fails, naming EMBEDLINE_LANCEDB_DIR and why, when the embedded store's folder cannot be written (a read-only
 * mount, another owner, a path through a file); creates it when missing. For processes that write the store
 * (workers): checked at start, it is one line instead of a worker that says it is ready and then fails every
 * shard of an ingest into the dead-letter queue. Qdrant, and LanceDB on an object store (`s3://...`), are
 * not checked here.
 */
export async function checkStoreWritable(
  settings: Pick<StoreSettings, 'EMBEDLINE_STORE' | 'EMBEDLINE_LANCEDB_DIR'>,
): Promise<void> {
  const dir = settings.EMBEDLINE_LANCEDB_DIR;
  if (settings.EMBEDLINE_STORE !== 'lancedb' || /^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) return;
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const why = code === 'ENOENT' ? await nearestFolderProblem(dir) : code;
    throw new Error(
      `EMBEDLINE_LANCEDB_DIR ${dir}: the worker cannot write the store there (${why ?? code ?? message})`,
    );
  }
}

/** Node's recursive mkdir says ENOENT on a read-only file system: the nearest folder that exists says why. */
async function nearestFolderProblem(dir: string): Promise<string | undefined> {
  for (let folder = dirname(dir); folder !== dirname(folder); folder = dirname(folder)) {
    try {
      await access(folder, constants.W_OK);
      return undefined;
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code !== 'ENOENT') return code;
    }
  }
  return undefined;
}
