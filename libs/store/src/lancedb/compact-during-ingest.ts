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
