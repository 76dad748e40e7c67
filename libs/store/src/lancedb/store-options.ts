// LanceDbStore's options: what each means, its default and why, and the checks on them.
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './commit-retry.ts';
import { INGEST_VERSION_AGE_MS } from './compact-during-ingest.ts';
import { DEFAULT_INDEX_THRESHOLD } from './index-policy.ts';
import { messageOf } from './lance-errors.ts';

export interface LanceDbStoreOptions {
  /** Folder (or LanceDB object-store URI) holding one Lance table per collection, e.g. `.embedline/lancedb`. */
  readonly uri: string;
  /** Tables with fewer rows get no ANN index at finalize and are always searched exactly (default 10,000). */
  readonly indexThreshold?: number;
  /** IVF partitions probed per ANN query (default: 40, or 5% of the index's partitions when more). */
  readonly nprobes?: number;
  /** ANN candidates re-scored on the full vectors, as a multiple of topK (default 40, see DEFAULT_REFINE_FACTOR). */
  readonly refineFactor?: number;
  /** Retries of writes that lose commit races against other processes (default 8 tries, 50 ms..2 s). */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Ceiling of LanceDB's file-metadata cache, in bytes (default 256 MiB; LanceDB's own default is 1 GiB).
   * Merges on `id` read every fragment, and the cache keeps each fragment's metadata: a long-running
   * worker could hold up to the whole ceiling. Past it the oldest entries are re-read from disk (the OS
   * page cache). Measured, it was not what made workers grow (that was the ledger's fragments, see
   * LanceShardLedger's compaction, and native memory per commit, see TableHandles): a bound, not a fix.
   */
  readonly metadataCacheBytes?: number;
  /** Commits (writes, ledger records) on one connection before later calls get a new one (default 200); see TableHandles. */
  readonly connectionCommits?: number;
  /**
   * Milliseconds finalize waits after compaction before it deletes the versions compaction superseded
   * (default 2000), so that searches still reading them finish first (see pruneVersionsBefore).
   */
  readonly versionGraceMs?: number;
  /**
   * Table versions between two compactions during an ingest (default 2,000; 0: only finalize compacts):
   * the write that commits a multiple of it compacts the table. See compactDuringIngest for why, and
   * DEFAULT_COMPACT_EVERY_VERSIONS for the choice.
   */
  readonly compactEveryVersions?: number;
  /**
   * Rows added between two compactions during an ingest (default 1,048,576; 0: no bound by rows): the
   * write that takes the table's row count past a multiple of it compacts the table too, whichever of
   * the two bounds comes first. See ingestPassDue for why, and DEFAULT_COMPACT_EVERY_ROWS for the choice.
   */
  readonly compactEveryRows?: number;
  /**
   * Those passes, and the shard ledger's compactions, delete versions superseded longer ago than this
   * (default 10,000 ms): the time a reader of an older version (a search, a merge retrying a shard) has
   * before its files may go.
   */
  readonly ingestVersionAgeMs?: number;
  /** Told when a compaction during an ingest failed (the write itself succeeded); default: a process warning. */
  readonly onCompactionError?: (collection: string, error: unknown) => void;
}

/** The options with their defaults filled in and checked. */
export type ResolvedLanceDbStoreOptions = Required<Omit<LanceDbStoreOptions, 'nprobes' | 'retry'>> & {
  readonly nprobes: number | undefined;
  readonly retry: RetryPolicy;
};

/**
 * ANN candidates re-scored on the stored vectors, as a multiple of topK. At 1M clustered 64-d vectors
 * (1,000 partitions) the PQ ranking, not the partitions probed, lost the neighbours: recall@10 was 0.85
 * with 10, 0.96 with 20 and 0.99 with 40 (nprobes 50; 100 or 200 probes with 10 gave only 0.86), for a
 * median query of 18 instead of 16 ms (bench/store/recall-probe.ts). At 300k clustered 768-d vectors
 * (96 sub-vectors) 10 gave 0.78, 20 gave 0.96 and 40 gave 1.0 (13, 15, 19 ms). At 20k rows 10 had been enough.
 */
const DEFAULT_REFINE_FACTOR = 40;
const DEFAULT_METADATA_CACHE_BYTES = 256 * 2 ** 20;
/** Commits on one connection after which later calls get a new one (see TableHandles). */
const DEFAULT_CONNECTION_COMMITS = 200;
const DEFAULT_VERSION_GRACE_MS = 2000;
/**
 * Each write commits one version and adds one fragment, and commits cost time with the number of both
 * (see compactDuringIngest): this bounds them for small shards, where DEFAULT_COMPACT_EVERY_ROWS would
 * come late (shards of 100 rows: 10,486 writes). With shards of 1,000 rows the row bound comes first, and
 * a pass also falls at each multiple of 2,000 between two row bounds (4 of the 12 passes of an 8.8M ingest).
 * Not 1,000: finalize then compacts that pass's partial fragment with the ingest's tail again, and
 * compacting one large fragment took finalize's peak further than compacting many small ones (1M x 64-d,
 * compaction alone, fresh process: +210 MiB after a pass at 1,000 versions, +115 without; the 1M ingest of
 * bench/pipeline/scale.ts got its one pass at its very end and its finalize worker went from ~255 to
 * ~350 MiB). Keyed on the version, not on a process's own writes, so that exactly one of W workers
 * compacts (the one whose write committed that version).
 */
const DEFAULT_COMPACT_EVERY_VERSIONS = 2000;
/**
 * 2^20, LanceDB's target rows per fragment: each pass adds about one full fragment's worth of rows. A pass
 * is one LanceDB compaction of everything written since the last one (one task read all 1,999 fragments of
 * a 2,000-version pass), and its memory follows those rows and fragments. Writing 8.8M 768-d rows (MS
 * MARCO's size) in appends of 1,000, the writing process peaked at 1,394 MiB with a pass every 2,000
 * versions, at 631 MiB with one every 1,000, and at 602 MiB with this bound (12 passes of 6-14 s, 4 of
 * them at multiples of 2,000 versions) (MALLOC_ARENA_MAX=2, 2-core AMD
 * EPYC, 2026-11-29, a throwaway probe writing through the store). Versions alone bounded it only for
 * shards of 1,000 rows: shards of 5,000 made passes of 10M rows. An ingest of up to 1,048,576 rows makes
 * no pass (as with 2,000 versions before for shards of 1,000 rows).
 */
const DEFAULT_COMPACT_EVERY_ROWS = 2 ** 20;

/** The options that are counts. */
type CountOption = {
  [K in keyof LanceDbStoreOptions]-?: NonNullable<LanceDbStoreOptions[K]> extends number ? K : never;
}[keyof LanceDbStoreOptions];

/** Fills in the defaults and checks every option; a RangeError names the option that was wrong. */
export function resolveStoreOptions(options: LanceDbStoreOptions): ResolvedLanceDbStoreOptions {
  const count = (key: CountOption, fallback: number, check = positiveInteger) =>
    check(key, options[key] ?? fallback);
  return {
    uri: options.uri,
    indexThreshold: count('indexThreshold', DEFAULT_INDEX_THRESHOLD),
    nprobes: options.nprobes === undefined ? undefined : positiveInteger('nprobes', options.nprobes),
    refineFactor: count('refineFactor', DEFAULT_REFINE_FACTOR),
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    metadataCacheBytes: count('metadataCacheBytes', DEFAULT_METADATA_CACHE_BYTES),
    connectionCommits: count('connectionCommits', DEFAULT_CONNECTION_COMMITS),
    versionGraceMs: count('versionGraceMs', DEFAULT_VERSION_GRACE_MS, nonNegativeInteger),
    compactEveryVersions: count('compactEveryVersions', DEFAULT_COMPACT_EVERY_VERSIONS, nonNegativeInteger),
    compactEveryRows: count('compactEveryRows', DEFAULT_COMPACT_EVERY_ROWS, nonNegativeInteger),
    ingestVersionAgeMs: count('ingestVersionAgeMs', INGEST_VERSION_AGE_MS, nonNegativeInteger),
    onCompactionError: options.onCompactionError ?? warnCompactionFailed,
  };
}

export function positiveInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export function nonNegativeInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function warnCompactionFailed(collection: string, error: unknown): void {
  process.emitWarning(
    `compacting collection "${collection}" during the ingest failed (its rows are stored; the next pass or finalize compacts it): ${messageOf(error)}`,
    'EmbeddedStoreWarning',
  );
}
