// Finalize on the embedded store: duplicate removal, compaction, version pruning, the ANN index, the tag.
import type { Table } from '@lancedb/lancedb';
import { collectGarbage } from './collect-garbage.ts';
import { retryOnLostRace, type RetryPolicy } from './commit-retry.ts';
import { finalizedVersion, tagFinalized, untagFinalized } from './finalized-tag.ts';
import { pruneVersionsBefore } from './prune-versions.ts';
import { removeDuplicateIds } from './remove-duplicates.ts';
import type { OpenTable } from './table-handles.ts';
import { buildVectorIndex } from './vector-index.ts';

/** Compaction passes finalize makes at most before it prunes (see compactAndPrune). */
const MAX_COMPACTION_PASSES = 3;

export interface FinalizeSettings {
  readonly retry: RetryPolicy;
  /** Tables with fewer rows get no ANN index. */
  readonly indexThreshold: number;
  /** Milliseconds between compaction and the deletion of the versions it superseded. */
  readonly versionGraceMs: number;
  /** Compacts the collection's shard ledger (done with the table's compaction). */
  readonly compactLedger: () => Promise<void>;
}

/**
 * Makes a collection ready to serve, once per table version: a collection already finalized at its
 * latest version is left as it is. Every step can be re-run after a crash (see compactAndPrune).
 */
export async function finalizeCollection(
  name: string,
  entry: OpenTable,
  settings: FinalizeSettings,
): Promise<void> {
  const { table } = entry;
  if ((await finalizedVersion(table)) === (await table.version())) return;
  // Before compaction, while row ids still follow write order (see removeDuplicateIds).
  await removeDuplicateIds(table, (operation) =>
    retryOnLostRace(name, 'finalize (duplicate removal)', operation, settings.retry),
  );
  await compactAndPrune(name, table, settings);
  collectGarbage(); // the scan's and the compaction's garbage, before the index build's peak
  await buildVectorIndex(name, entry, settings);
  await tagFinalized(table, await table.version());
}

/**
 * Compacts the table and deletes the versions before the compaction with the files only they use.
 *
 * Why before the index build: LanceDB's optimize() (compaction and pruning have no call of their own in
 * its Node API) also rewrites every vector index, even one that has nothing new to fold in, and prunes
 * before that rewrite, so the version it supersedes and that version's index copy stay on disk. Run
 * after the build, finalize spent 2 of its 5.4 minutes at 8.8M x 64-d (the no-encoder bench's fixed
 * vectors; less with real ones) rewriting the index it had just built and left 745 MB (18%) of files no
 * longer in use (bench/store/finalize-memory-probe.ts prints what finalize leaves). A collection finalized
 * before still pays a rewrite per optimize() call here, the first folding the rows written since into its
 * index, as it must.
 */
async function compactAndPrune(name: string, table: Table, settings: FinalizeSettings): Promise<void> {
  // Compaction bins neighbouring small fragments, so one pass may leave two part-filled fragments that
  // the next pass merges. Left to the pruning call, that merge ran before its clean-up, which then kept
  // neither the versions nor the files of the first pass's output (8.8M x 64-d: 578 MB no version used).
  for (let pass = 1; pass <= MAX_COMPACTION_PASSES; pass++) {
    const { compaction } = await retryOnLostRace(
      name,
      'finalize (compaction)',
      () => table.optimize(),
      settings.retry,
    );
    if (compaction.fragmentsRemoved === 0) break;
  }
  const compactedAt = new Date();
  await settings.compactLedger();
  // An earlier finalize's tag would block the pruning (LanceDB keeps tagged versions). Without the tag
  // the collection reads as not finalized until the tag is set again: after a crash in between, the
  // next finalize finds the duplicates removed and nothing to compact, and builds what is missing.
  await untagFinalized(table);
  await retryOnLostRace(
    name,
    'finalize (pruning versions)',
    () => pruneVersionsBefore(table, compactedAt, settings.versionGraceMs),
    settings.retry,
  );
}
