// Top-k search of one collection's table: exact or through the ANN index, ties at the cut ordered by id
// (tie-widened-search.ts).
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import { comparePointIds, pointId } from '../point-id.ts';
import { tieWidenedSearch } from '../tie-widened-search.ts';
import type { SearchHit, SearchOptions } from '../vector-store.ts';
import { nonNegativeInteger } from './store-options.ts';
import type { OpenTable } from './table-handles.ts';
import { annProbes } from './vector-index.ts';

export interface SearchSettings {
  /** IVF partitions probed per ANN query; undefined: the default for the index's size. */
  readonly nprobes: number | undefined;
  /** ANN candidates re-scored on the full vectors, as a multiple of topK. */
  readonly refineFactor: number;
}

/** Runs a table operation, turning a table dropped meanwhile into CollectionNotFoundError (TableHandles.guard). */
export type TableGuard = <T>(operation: () => Promise<T>) => Promise<T>;

interface ResultRow {
  readonly id: string;
  readonly _distance: number;
  readonly text?: string;
  readonly payload?: string | null;
}

interface RankedHit {
  readonly hit: SearchHit;
  readonly key: number | string;
}

export async function searchTable(
  name: string,
  entry: OpenTable,
  query: Float32Array,
  options: SearchOptions,
  settings: SearchSettings,
  guard: TableGuard,
): Promise<SearchHit[]> {
  if (query.length !== entry.dimension) {
    throw new DimensionMismatchError(name, entry.dimension, query.length, 'the query has dimension');
  }
  const topK = nonNegativeInteger('topK', options.topK);
  if (topK === 0) return [];
  const exact = options.exact === true;
  const withPayload = options.withPayload === true;
  const nprobes = exact ? undefined : await guard(() => annProbes(entry, settings.nprobes));
  const columns = withPayload ? ['id', '_distance', 'text', 'payload'] : ['id', '_distance'];
  // Rows tied with the k-th score may lie beyond the limit: widened (bounded) until the cut is clear.
  const hits = await tieWidenedSearch(
    topK,
    async (limit) => {
      let request = entry.table.vectorSearch(query).distanceType('dot').select(columns).limit(limit);
      if (exact) request = request.bypassVectorIndex();
      else if (nprobes !== undefined) request = request.nprobes(nprobes).refineFactor(settings.refineFactor);
      const rows = (await guard(() => request.toArray())) as ResultRow[];
      return rows.map((row) => toHit(row, withPayload)).sort(compareHits);
    },
    ({ hit }) => hit.score,
  );
  return hits.map(({ hit }) => hit);
}

/** LanceDB's `dot` distance is `1 - dot` (checked against exact scores in the tests). */
function toHit(row: ResultRow, withPayload: boolean): RankedHit {
  const score = 1 - row._distance;
  const hit: SearchHit = withPayload
    ? {
        id: row.id,
        score,
        payload: { text: row.text, ...(row.payload == null ? {} : JSON.parse(row.payload)) },
      }
    : { id: row.id, score };
  return { hit, key: pointId(row.id) };
}

/** Best score first; equal scores by lower point id. */
function compareHits(a: RankedHit, b: RankedHit): number {
  return a.hit.score !== b.hit.score ? b.hit.score - a.hit.score : comparePointIds(a.key, b.key);
}
