// The ANN index on a collection's vectors: building it (finalize), reading it back, and the probes a
// search makes in it. What index a table wants is decided in index-policy.ts.
import type { Table } from '@lancedb/lancedb';
import { retryOnLostRace, type RetryPolicy } from './commit-retry.ts';
import {
  defaultNprobes,
  needsRetrain,
  parseIndexName,
  planIvfPq,
  trainingSampleRate,
  type IvfPqPlan,
} from './index-policy.ts';
import { loadLanceDb } from './lance-module.ts';
import type { OpenTable } from './table-handles.ts';

/** The ANN index finalize built on a collection, as `LanceDbStore.vectorIndex` reports it. */
export interface LanceDbVectorIndex extends IvfPqPlan {
  readonly type: 'IVF_PQ';
  readonly indexedRows: number;
  readonly unindexedRows: number;
}

export interface IndexBuildSettings {
  /** Tables with fewer rows get no index. */
  readonly indexThreshold: number;
  readonly retry: RetryPolicy;
}

/** Builds the IVF-PQ index a table of this size wants, unless the one it has still fits (see needsRetrain). */
export async function buildVectorIndex(
  name: string,
  { table, dimension }: OpenTable,
  { indexThreshold, retry }: IndexBuildSettings,
): Promise<void> {
  const rows = await table.countRows();
  if (rows < indexThreshold) return;
  const wanted = planIvfPq(rows, dimension);
  const existing = (await table.listIndices()).filter((index) => index.columns.includes('vector'));
  const current = existing.map((index) => parseIndexName(index.name)).find((plan) => plan !== undefined);
  if (current !== undefined && !needsRetrain(current, wanted)) return;
  const { Index } = await loadLanceDb();
  const config = Index.ivfPq({
    distanceType: 'dot',
    numPartitions: wanted.partitions,
    numSubVectors: wanted.subVectors,
    sampleRate: trainingSampleRate(wanted.partitions, dimension),
  });
  await retryOnLostRace(
    name,
    'finalize (index build)',
    () => table.createIndex('vector', { name: wanted.name, replace: true, config }),
    retry,
  );
  // LanceDB keeps any number of indexes on a column: drop the outgrown one only now, so that searches
  // never fall back to a flat scan meanwhile. Its files stay with the versions before the drop until
  // the next finalize prunes them: pruning now would make optimize() rewrite the new index.
  for (const index of existing) {
    if (index.name === wanted.name) continue;
    await retryOnLostRace(name, 'finalize (index drop)', () => table.dropIndex(index.name), retry);
  }
}

/** The ANN index finalize built on the table, or undefined when it is searched by flat scan. */
export async function describeVectorIndex(table: Table): Promise<LanceDbVectorIndex | undefined> {
  for (const index of await table.listIndices()) {
    const plan = parseIndexName(index.name);
    if (plan === undefined || !index.columns.includes('vector')) continue;
    const stats = await table.indexStats(index.name);
    return {
      ...plan,
      type: 'IVF_PQ',
      indexedRows: stats?.numIndexedRows ?? 0,
      unindexedRows: stats?.numUnindexedRows ?? 0,
    };
  }
  return undefined;
}

/**
 * IVF partitions an ANN search probes in the table's index (`configured`, or the default for the
 * index's size); undefined when the table has no index. Kept on the handle per table version, so that
 * a search lists the indexes only after the table changed.
 */
export async function annProbes(
  entry: OpenTable,
  configured: number | undefined,
): Promise<number | undefined> {
  const version = await entry.table.version();
  if (entry.nprobes?.version !== version) {
    const plan = (await entry.table.listIndices())
      .map((index) => parseIndexName(index.name))
      .find((p) => p !== undefined);
    const value = plan === undefined ? undefined : (configured ?? defaultNprobes(plan.partitions));
    entry.nprobes = { version, value };
  }
  return entry.nprobes.value;
}
