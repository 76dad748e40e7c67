import { rowNorms } from './cos-sim.ts';
import { clampedNormAt, dotAt } from './kernels.ts';
import { assertMatrix, type Matrix } from './matrix.ts';
import { TopKHeap, type ScoredId } from './top-k-heap.ts';

/** `dot` for L2-normalized embeddings (our model's: equal to cosine, and cheaper); `cos` otherwise. */
export type ScoreFunction = 'dot' | 'cos';

/** sentence-transformers' `util.semantic_search` parameters, with its defaults except the score. */
export interface SemanticSearchOptions {
  /** Hits per query (default 10); fewer when the corpus is smaller. 0 gives empty lists. */
  readonly topK?: number;
  /** Default `dot`. sentence-transformers defaults to cos_sim; on normalized vectors both rank alike. */
  readonly scoreFunction?: ScoreFunction;
  /** Queries scored together against each corpus row (default 100). */
  readonly queryChunkSize?: number;
  /** Corpus rows per block (default 500,000). */
  readonly corpusChunkSize?: number;
}

/** Part of a corpus whose row `i` has corpus id `idOffset + i`. */
export interface CorpusChunk {
  readonly matrix: Matrix;
  readonly idOffset: number;
}

/**
 * A corpus: one matrix, or chunks. Plain matrices in a list get consecutive ids (the first starts at 0,
 * each next one where the previous ended); a `CorpusChunk` sets its own offset. Ids must not repeat.
 */
export type Corpus = Matrix | Iterable<Matrix | CorpusChunk>;

/**
 * Exact top-k search of every query over a corpus fed in chunks, in any order: a store streams its
 * vectors through `add`, then `results` gives each query's hits, best first, equal scores by lower
 * corpus id. Memory is one heap of at most k entries per query, whatever the corpus size.
 *
 * Chunking never changes the result (the heaps carry over between chunks); it only sets the work
 * order. Unlike sentence-transformers, no query x corpus score matrix is built: each corpus row is
 * scored against a block of `queryChunkSize` queries while it is in cache, then dropped.
 */
export class ExactSearch {
  private readonly queries: Matrix;
  private readonly heaps: TopKHeap[];
  private readonly cos: boolean;
  private readonly queryNorms: Float64Array | undefined;
  private readonly queryChunkSize: number;
  private readonly corpusChunkSize: number;
  private nextId = 0;
  private finished = false;

  constructor(queries: Matrix, options: SemanticSearchOptions = {}) {
    assertMatrix(queries, 'semanticSearch queries');
    const topK = checkedCount('topK', options.topK ?? 10, 0);
    this.queryChunkSize = checkedCount('queryChunkSize', options.queryChunkSize ?? 100, 1);
    this.corpusChunkSize = checkedCount('corpusChunkSize', options.corpusChunkSize ?? 500_000, 1);
    this.cos = checkedScoreFunction(options.scoreFunction ?? 'dot') === 'cos';
    this.queries = queries;
    this.queryNorms = this.cos ? rowNorms(queries) : undefined;
    this.heaps = Array.from({ length: queries.rows }, () => new TopKHeap(topK));
  }

  /** Scores a chunk whose row `i` has id `idOffset + i`; by default ids continue after the last chunk's. */
  add(chunk: Matrix, idOffset: number = this.nextId): void {
    if (this.finished) throw new Error('semanticSearch: add() after results()');
    assertMatrix(chunk, 'semanticSearch corpus chunk');
    if (chunk.dim !== this.queries.dim) {
      throw new Error(
        `semanticSearch: dimension mismatch: queries have dimension ${this.queries.dim}, corpus chunk has dimension ${chunk.dim}`,
      );
    }
    if (!Number.isSafeInteger(idOffset) || idOffset < 0 || !Number.isSafeInteger(idOffset + chunk.rows)) {
      throw new Error(`semanticSearch: idOffset must be a non-negative safe integer, got ${idOffset}`);
    }
    for (let start = 0; start < chunk.rows; start += this.corpusChunkSize) {
      const end = Math.min(start + this.corpusChunkSize, chunk.rows);
      for (let q = 0; q < this.queries.rows; q += this.queryChunkSize) {
        this.scoreBlock(chunk, idOffset, start, end, q, Math.min(q + this.queryChunkSize, this.queries.rows));
      }
    }
    this.nextId = idOffset + chunk.rows;
  }

  /** Each query's hits, best first. Ends the search. */
  results(): ScoredId[][] {
    this.finished = true;
    return this.heaps.map((heap) => heap.drain());
  }

  /** Rows [rowStart, rowEnd) of the chunk against queries [qStart, qEnd): the hot loop. */
  private scoreBlock(
    chunk: Matrix,
    idOffset: number,
    rowStart: number,
    rowEnd: number,
    qStart: number,
    qEnd: number,
  ): void {
    const { dim } = chunk;
    const queryData = this.queries.data;
    const data = chunk.data;
    const heaps = this.heaps;
    const queryNorms = this.queryNorms;
    for (let r = rowStart; r < rowEnd; r++) {
      const rowOff = r * dim;
      const rowNorm = queryNorms === undefined ? 1 : clampedNormAt(data, rowOff, dim);
      for (let q = qStart; q < qEnd; q++) {
        let score = dotAt(queryData, q * dim, data, rowOff, dim);
        if (queryNorms !== undefined) score /= queryNorms[q]! * rowNorm;
        if (score !== score) throw nanScore(q, idOffset + r);
        heaps[q]!.offer(score, idOffset + r);
      }
    }
  }
}

/**
 * `util.semantic_search`: for each query row, the top-k corpus rows as `{ corpusId, score }`, best
 * first, equal scores by lower corpus id. See `Corpus` for how chunk ids are numbered.
 */
export function semanticSearch(
  queries: Matrix,
  corpus: Corpus,
  options: SemanticSearchOptions = {},
): ScoredId[][] {
  const search = new ExactSearch(queries, options);
  if (isMatrix(corpus)) search.add(corpus, 0);
  else for (const chunk of corpus) addChunk(search, chunk);
  return search.results();
}

/** `semanticSearch` over chunks that arrive asynchronously (a store scanning its vectors). */
export async function semanticSearchStream(
  queries: Matrix,
  corpus: AsyncIterable<Matrix | CorpusChunk> | Iterable<Matrix | CorpusChunk>,
  options: SemanticSearchOptions = {},
): Promise<ScoredId[][]> {
  const search = new ExactSearch(queries, options);
  for await (const chunk of corpus) addChunk(search, chunk);
  return search.results();
}

function addChunk(search: ExactSearch, chunk: Matrix | CorpusChunk): void {
  if (isMatrix(chunk)) search.add(chunk);
  else search.add(chunk.matrix, chunk.idOffset);
}

function isMatrix(value: unknown): value is Matrix {
  return typeof value === 'object' && value !== null && 'data' in value && value.data instanceof Float32Array;
}

function checkedCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`semanticSearch: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function checkedScoreFunction(value: string): ScoreFunction {
  if (value !== 'dot' && value !== 'cos')
    throw new Error(`semanticSearch: scoreFunction must be 'dot' or 'cos', got '${value}'`);
  return value;
}

/** NaN anywhere in a vector (or Infinity times 0) makes its scores NaN, which have no rank. */
function nanScore(query: number, corpusId: number): Error {
  return new Error(
    `semanticSearch: score of query ${query} against corpus id ${corpusId} is NaN; the embeddings contain NaN or Infinity`,
  );
}
