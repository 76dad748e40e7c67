import {
  comparePointIds,
  DimensionMismatchError,
  pointId,
  type EmbeddedRows,
  type SearchHit,
} from '@embedline/store';
import { CorpusMatrix, type DotTopK } from './dot-top-k.ts';
import { OverBudgetError } from './errors/over-budget-error.ts';

/** Rows fetched beyond topK, so that equal scores at the cut can be ordered by point id (as the stores do). */
const TIE_MARGIN = 8;
/** What a point costs beyond its vector and text: its id, key and the array slots that hold them. */
const ROW_OVERHEAD_BYTES = 96;

/** One collection's points held in memory: vectors in one matrix, ids, texts and payloads beside it. */
export class ResidentCollection {
  private readonly keys: (number | string)[];

  constructor(
    readonly name: string,
    /** The store's version of the collection these points are a copy of. */
    readonly version: number,
    private readonly corpus: CorpusMatrix,
    private readonly ids: readonly string[],
    private readonly texts: readonly string[],
    private readonly payloads: readonly (Record<string, unknown> | null)[],
    /** What the copy holds in memory, roughly. */
    readonly bytes: number,
  ) {
    this.keys = ids.map(pointId);
  }

  get points(): number {
    return this.corpus.rows;
  }

  get dimension(): number {
    return this.corpus.dimension;
  }

  /**
   * Each query's top `topK` by dot product, best first, equal scores by lower point id: the store's
   * `search` contract, answered exactly for all the queries in one kernel call.
   */
  async searchMany(
    kernel: DotTopK,
    queries: readonly Float32Array[],
    topK: number,
    withPayload: boolean,
  ): Promise<SearchHit[][]> {
    if (topK === 0 || this.points === 0) return queries.map(() => []);
    for (const query of queries) {
      if (query.length !== this.dimension) {
        throw new DimensionMismatchError(this.name, this.dimension, query.length, 'the query has dimension');
      }
    }
    const matrix = new Float32Array(queries.length * this.dimension);
    queries.forEach((query, i) => matrix.set(query, i * this.dimension));
    for (let fetch = topK + TIE_MARGIN; ; fetch *= 2) {
      const best = await kernel.search(this.corpus, matrix, fetch);
      const ranked = queries.map((_, q) => this.rankRow(best.scores, best.rows, q * best.k, best.k));
      // Rows tied with the k-th score may lie beyond the fetch: fetch more until every cut is clear.
      const unclear = best.k < this.points && ranked.some((rows) => tiedAtCut(rows, topK));
      if (!unclear) return ranked.map((rows) => rows.slice(0, topK).map((row) => this.hit(row, withPayload)));
    }
  }

  private rankRow(scores: Float32Array, rows: BigInt64Array, start: number, k: number): RankedRow[] {
    const ranked: RankedRow[] = [];
    for (let i = start; i < start + k; i++) {
      const row = Number(rows[i]);
      ranked.push({ row, score: scores[i]!, key: this.keys[row]! });
    }
    return ranked.sort((a, b) => (a.score !== b.score ? b.score - a.score : comparePointIds(a.key, b.key)));
  }

  private hit({ row, score }: RankedRow, withPayload: boolean): SearchHit {
    const id = this.ids[row]!;
    if (!withPayload) return { id, score };
    return { id, score, payload: { text: this.texts[row], ...(this.payloads[row] ?? {}) } };
  }
}

interface RankedRow {
  readonly row: number;
  readonly score: number;
  readonly key: number | string;
}

function tiedAtCut(rows: readonly RankedRow[], topK: number): boolean {
  const kth = rows[topK - 1];
  return kth !== undefined && rows[rows.length - 1]!.score >= kth.score;
}

/**
 * Copies a collection's points into memory from the store's scan. Stops with OverBudgetError as soon as
 * the copy would pass `budgetBytes`, so a collection that grew since it was sized cannot exhaust memory.
 */
export async function loadResident(
  name: string,
  version: number,
  expectedPoints: number,
  dimension: number,
  scan: AsyncIterable<EmbeddedRows>,
  budgetBytes: number,
): Promise<ResidentCollection> {
  let vectors: Float32Array = new Float32Array(expectedPoints * dimension);
  const ids: string[] = [];
  const texts: string[] = [];
  const payloads: (Record<string, unknown> | null)[] = [];
  let bytes = 0;
  for await (const rows of scan) {
    const count = rows.ids.length;
    if (rows.dimension !== dimension) {
      throw new RangeError(
        `collection "${name}" has dimension ${dimension}; its scan gave ${rows.dimension}`,
      );
    }
    if ((ids.length + count) * dimension > vectors.length)
      vectors = grown(vectors, (ids.length + count) * dimension);
    vectors.set(rows.vectors.subarray(0, count * dimension), ids.length * dimension);
    for (let i = 0; i < count; i++) {
      const text = rows.texts[i] ?? '';
      ids.push(rows.ids[i]!);
      texts.push(text);
      payloads.push(rows.payloads?.[i] ?? null);
      bytes += dimension * 4 + ROW_OVERHEAD_BYTES + 2 * (text.length + rows.ids[i]!.length);
    }
    if (bytes > budgetBytes) throw new OverBudgetError(name, budgetBytes);
  }
  const used = vectors.length === ids.length * dimension ? vectors : vectors.slice(0, ids.length * dimension);
  return new ResidentCollection(
    name,
    version,
    new CorpusMatrix(used, ids.length, dimension),
    ids,
    texts,
    payloads,
    bytes,
  );
}

function grown(vectors: Float32Array, atLeast: number): Float32Array {
  const next = new Float32Array(Math.max(atLeast, Math.ceil(vectors.length * 1.5)));
  next.set(vectors);
  return next;
}
