// LanceDB's native module, loaded on first use with Embedline's bounds on its memory.
import type * as LanceDbModule from '@lancedb/lancedb';

/**
 * Bytes a Lance scan may read ahead of its consumer (Lance's default: 2 GiB). The index build's scan of
 * compacted 1M-row fragments took finalize's peak at 1M x 64-d to 393-411 MiB at 64 MiB, 324 at 16 MiB
 * and 322 at 8 MiB (bench/store/finalize-memory-probe.ts). Exact searches and scans of a local 1M x 64-d table
 * ran as fast at 16 as at 64 MiB (median search 202-226 vs 227-275 ms, full scan 2.6-2.9 vs 2.6-3.0 s).
 */
const LANCE_IO_BUFFER_BYTES = 16 * 2 ** 20;
/**
 * Bytes of transformed rows an index build's shuffle gathers before it sorts and spills them (Lance's
 * default: 128 MiB). Lance copies a gathered batch twice (concatenation, then sorting by partition), so
 * the build's peak is about 3x this. At 32 MiB a 1M x 64-d table's whole shuffle (28 MB of PQ codes and
 * row ids) was one batch, held and copied at the end of the scan: +110 MiB for a moment, the largest
 * step of finalize (bench/store/finalize-memory-probe.ts). 4 MiB bounds it; the price is more, smaller
 * reads of the local spill file when partitions are read back.
 */
const LANCE_SHUFFLE_BATCH_BYTES = 4 * 2 ** 20;

type LanceDb = typeof LanceDbModule;
let lancedbModule: Promise<LanceDb> | undefined;

/** LanceDB's native module, loaded on first use so that importing @embedline/store stays cheap. */
export function loadLanceDb(): Promise<LanceDb> {
  // Lance 8 warns on every index-statistics call that centroids are still included by default; take
  // the announced future default (smaller statistics) unless the environment chose otherwise.
  process.env['LANCE_INCLUDE_VECTOR_CENTROIDS'] ??= 'false';
  // Lance reads ahead up to 2 GiB per scan and buffers 128 MiB of vectors before each spill of an
  // index build's shuffle: both were finalize memory that grew with the table (an index build over
  // 1M rows read the whole vector column ahead). Bounded here; an operator's own setting wins.
  process.env['LANCE_DEFAULT_IO_BUFFER_SIZE'] ??= String(LANCE_IO_BUFFER_BYTES);
  process.env['LANCE_SHUFFLE_BATCH_BYTES'] ??= String(LANCE_SHUFFLE_BATCH_BYTES);
  lancedbModule ??= import('@lancedb/lancedb');
  return lancedbModule;
}
