import type { Table } from '@lancedb/lancedb';
import { isAlreadyExists } from './lance-errors.ts';

/** Tag on the table version finalize left; the collection is finalized while that is the latest version. */
export const FINALIZED_TAG = 'embedline-finalized';

/** The version finalize last tagged, or undefined when the table was never finalized (or was untagged). */
export async function finalizedVersion(table: Table): Promise<number | undefined> {
  const tags = await (await table.tags()).list();
  return tags[FINALIZED_TAG]?.version;
}

export async function untagFinalized(table: Table): Promise<void> {
  const tags = await table.tags();
  if ((await tags.list())[FINALIZED_TAG] !== undefined) await tags.delete(FINALIZED_TAG);
}

/** Moves the tag to `version`, creating it if another process has not done so first. */
export async function tagFinalized(table: Table, version: number): Promise<void> {
  const tags = await table.tags();
  if ((await tags.list())[FINALIZED_TAG] === undefined) {
    try {
      await tags.create(FINALIZED_TAG, version);
      return;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
  await tags.update(FINALIZED_TAG, version);
}
