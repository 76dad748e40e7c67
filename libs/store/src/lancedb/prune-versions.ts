import { setTimeout as sleep } from 'node:timers/promises';
import type { Table } from '@lancedb/lancedb';

/**
 * Deletes the table versions committed before `before`, and the files only they reference; the latest
 * version always stays. Returns the bytes removed.
 *
 * Why: a bulk load commits once per shard, and LanceDB keeps every version for 7 days by default. Each
 * version's manifest lists every fragment then in the table, so the manifests grow with the square of the
 * shards, and after finalize's compaction the uncompacted data files stay on disk for old versions' sake:
 * an 8.8M-passage ingest in shards of 1,000 left a 64-d collection at 12 GB where its rows take ~5
 * (bench/pipeline/scale.ts --no-encoder --dimension 64). Nothing here reads old versions (no time travel).
 *
 * `graceMs`: searches that opened a superseded version just before it was superseded finish meanwhile
 * (a search takes milliseconds), so none loses a file under it. The caller must first remove tags from
 * versions older than `before`: LanceDB refuses to clean up a tagged version.
 *
 * The cut is only as exact as LanceDB's `optimize()` makes it: its JS side turns `before` into an age at
 * the call, and the pruning measures that age back from its own clock after the call's compaction. So
 * versions committed in the compaction's time after `before` may go too (measured: up to ~40 ms on 13
 * small fragments under load). Finalize compacts to a fixed point first, so its pruning call compacts
 * nothing, and nothing commits to the collection between its cut and its pruning.
 */
export async function pruneVersionsBefore(table: Table, before: Date, graceMs: number): Promise<number> {
  if (graceMs > 0) await sleep(graceMs);
  const { prune } = await table.optimize({ cleanupOlderThan: before });
  return prune.bytesRemoved;
}
