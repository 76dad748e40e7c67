import type { Table } from '@lancedb/lancedb';
import { isLostRace } from './commit-retry.ts';
import { finalizedVersion, untagFinalized } from './finalized-tag.ts';

/**
 * Versions committed longer ago than this are deleted by the compactions made during an ingest. Readers
 * of the table while it is loaded (a merge that retries a shard reads every stored id: seconds at MS
 * MARCO's size; searches and counts: milliseconds) have that long before the files under their version go.
 * LanceDB measures the age when it prunes, after the call's compaction (see pruneVersionsBefore), so it
 * is a bound on how long a read may take, whatever the compaction's length.
 */
export const INGEST_VERSION_AGE_MS = 10_000;

/** What one compaction during an ingest did. */
export type IngestCompactionOutcome = 'compacted' | 'lost-race' | 'failed';

/**
 * Compacts a table that is being loaded, and deletes the versions superseded more than `versionAgeMs`
 * ago (LanceDB's `optimize` does both; its Node API has no way to do only one).
 *
 * Why during the ingest: each write adds a fragment and a version, and every later commit of any
 * process costs time with the number of both (LanceDB lists the versions to find the latest one and
 * rewrites a manifest listing every fragment). Measured with 1,000-row appends of 64-d rows
 * (bench/store/ingest-compaction-probe.ts): a write took 9 ms at 500 fragments and versions and 32 ms at
 * 4,000; a pass every 1,000 writes kept it at 6-8 ms, and the writes to a side table that had few
 * fragments but thousands of versions grew as much. At MS MARCO's 8.8M passages in shards of 1,000, a
 * worker's CPU per passage more than doubled without it.
 *
 * A finalized collection carries a tag on the version finalize left, and LanceDB refuses to delete a
 * tagged version: a tag older than the latest version is stale (the collection reads as finalized only
 * while the tag is on the latest version), so it is removed first; finalize sets it again.
 *
 * Never throws: the rows are stored already, and a write must not fail because the upkeep did. A lost
 * race against another process's compaction (a commit conflict, or versions its cleanup deleted as this
 * one read them) is left alone: that one did the work. Other errors go to `onError`, and the next pass
 * tries again.
 */
export async function compactDuringIngest(
  table: Table,
  onError: (error: unknown) => void,
  versionAgeMs = INGEST_VERSION_AGE_MS,
): Promise<IngestCompactionOutcome> {
  try {
    const tagged = await finalizedVersion(table);
    if (tagged !== undefined && tagged !== (await table.version())) await untagFinalized(table);
    const cutoff = new Date(Date.now() - versionAgeMs);
    await table.optimize({ cleanupOlderThan: cutoff });
    return 'compacted';
  } catch (error) {
    if (isLostRace(error)) return 'lost-race';
    onError(error);
    return 'failed';
  }
}

/** When the ingest's passes come: see LanceDbStoreOptions' compactEveryVersions and compactEveryRows (0: never). */
export interface PassSchedule {
  readonly everyVersions: number;
  readonly everyRows: number;
}

/** What one write committed: its table version and the rows it added to the table (inserted less deleted). */
export interface IngestCommit {
  readonly version: number;
  readonly rowsAdded: number;
}

/**
 * Whether the write that made `commit` makes a pass: it committed a multiple of `everyVersions`, or it
 * took the table's row count past a multiple of `everyRows`. Both are facts about one commit (its version,
 * and the row counts of its version and the one before it), so exactly one of several writers makes each
 * pass. `table` must still be at the commit's version: the caller holds the write lock (on object stores,
 * where there is none, a count that includes another writer's rows can make a pass early or skip one to
 * the next bound; either is harmless).
 *
 * Why rows as well as versions: a pass's memory follows what it rewrites, the rows and the fragments
 * written since the last pass (LanceDB 0.31's compaction cannot be bounded from its Node API). Versions
 * bound the fragments, one per write; rows bound the rest whatever the shard size, so that shards of
 * 5,000 rows do not make passes five times larger than shards of 1,000.
 */
export async function ingestPassDue(
  table: Pick<Table, 'countRows'>,
  commit: IngestCommit,
  schedule: PassSchedule,
): Promise<boolean> {
  const { everyVersions, everyRows } = schedule;
  if (everyVersions > 0 && commit.version % everyVersions === 0) return true;
  if (everyRows === 0 || commit.rowsAdded <= 0) return false;
  const after = await table.countRows();
  return Math.floor(after / everyRows) > Math.floor((after - commit.rowsAdded) / everyRows);
}
