import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatTrecRun, resultsToRun, trecEvalOrder, type Matrix, type ScoredId } from '@embedline/scoring';
import type { SearchHit, VectorStore } from '@embedline/store';

export interface SearchRunOptions {
  readonly store: VectorStore;
  readonly collection: string;
  readonly queryIds: readonly string[];
  /** One row per query, in `queryIds` order. */
  readonly vectors: Matrix;
  readonly topK: number;
  /** Brute-force search instead of the ANN index. */
  readonly exact?: boolean;
  /** Where to write the TREC run file; undefined: in memory only. */
  readonly runPath?: string;
  /** The run's name, in the last column of the run file. */
  readonly tag: string;
  /** Searches in flight (default 8). */
  readonly concurrency?: number;
  /**
   * Leave out a hit whose document id is its query's id (BEIR's `ignore_identical_ids`, on by default there):
   * ArguAna and Quora hold each query in the corpus under the query's own id. The store is asked for one more.
   */
  readonly ignoreIdenticalIds?: boolean;
  /** Also keep each query's first `keepTop` hits (the ANN side of the recall check). */
  readonly keepTop?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SearchRun {
  /** query id -> document id -> score: what the run file holds, for the metrics. */
  readonly run: Map<string, Map<string, number>>;
  /** Each query's first `keepTop` hits, best first. */
  readonly top: Map<string, SearchHit[]>;
  /** Hits in the run, all queries together. */
  readonly hits: number;
  /**
   * Hits dropped because the query's list already held the same document: a collection can hold an id
   * twice until finalize removes the extra copies (see VectorStore.upsert), and a run may not list it twice.
   */
  readonly repeatedHits: number;
  /** Hits left out because their id was their query's (`ignoreIdenticalIds`). */
  readonly identicalHits: number;
}

/**
 * Searches the store with every query and writes the hits as a TREC run file, a few queries at a
 * time, in query order, so memory holds the run's scores but never its text (MS MARCO dev at depth
 * 1000 is 7M lines). The file is written under a temporary name and renamed when complete, so an
 * interrupted evaluation leaves no half run behind that could be scored by mistake.
 */
export async function searchRun(options: SearchRunOptions): Promise<SearchRun> {
  const { queryIds, vectors } = options;
  if (vectors.rows !== queryIds.length)
    throw new Error(`searchRun: ${vectors.rows} vectors for ${queryIds.length} queries`);
  if (!Number.isSafeInteger(options.topK) || options.topK < 0)
    throw new RangeError(`topK must be a non-negative integer, got ${options.topK}`);
  const concurrency = options.concurrency ?? 8;
  // Hits asked of the store: one more when the query's own document may be among them.
  const wanted = options.topK + (options.ignoreIdenticalIds === true ? 1 : 0);
  const partial = options.runPath === undefined ? undefined : `${options.runPath}.partial`;
  if (partial !== undefined) await mkdir(dirname(partial), { recursive: true });
  const file = partial === undefined ? undefined : await open(partial, 'w');
  const run = new Map<string, Map<string, number>>();
  const top = new Map<string, SearchHit[]>();
  let hits = 0;
  let repeatedHits = 0;
  let identicalHits = 0;
  try {
    for (let start = 0; start < queryIds.length; start += concurrency) {
      const batch = queryIds.slice(start, start + concurrency);
      const results = await Promise.all(batch.map((_, i) => searchOne(options, start + i, wanted)));
      let text = '';
      results.forEach((fetched, i) => {
        const qid = batch[i]!;
        // The tie group at the cut is settled as trec_eval ranks it: by docid descending (searchOne).
        const found = fetched.sort(trecEvalOrder).slice(0, wanted);
        const unique = withoutRepeats(found);
        repeatedHits += found.length - unique.length;
        const kept = options.ignoreIdenticalIds === true ? unique.filter((hit) => hit.id !== qid) : unique;
        identicalHits += unique.length - kept.length;
        const queryHits = kept.slice(0, options.topK);
        const ids = toRunIds(qid, queryHits);
        text += formatTrecRun(ids.results, { ...ids, tag: options.tag });
        for (const [qid, docs] of resultsToRun(ids.results, ids)) run.set(qid, docs);
        // The ANN side of the recall check is the search itself, as the exact side is: nothing left out.
        if (options.keepTop !== undefined) top.set(qid, unique.slice(0, options.keepTop));
        hits += queryHits.length;
      });
      if (file !== undefined && text !== '') await file.write(text);
      options.onProgress?.(start + batch.length, queryIds.length);
    }
    await file?.close();
    if (partial !== undefined) await rename(partial, options.runPath!);
  } catch (error) {
    await file?.close().catch(() => {});
    if (partial !== undefined) await rm(partial, { force: true });
    throw error;
  }
  return { run, top, hits, repeatedHits, identicalHits };
}

/** The hits with each document once: its first (best-scored) copy. */
function withoutRepeats(hits: SearchHit[]): SearchHit[] {
  const seen = new Set<string>();
  const kept = hits.filter((hit) => !seen.has(hit.id) && seen.add(hit.id));
  return kept.length === hits.length ? hits : kept;
}

/**
 * One query's hits: the `wanted` best (topK, one more with ignoreIdenticalIds) and every hit tied with the last
 * of them. The store settles a tie at its cut by point id; the run settles it as trec_eval ranks (and as BEIR's
 * exact search keeps its top k): by docid descending, so the whole tie group at the cut is fetched (one hit
 * more than wanted; the limit doubles while the last fetched still ties, up to TIE_GROUP_CAP more).
 */
async function searchOne(options: SearchRunOptions, row: number, wanted: number): Promise<SearchHit[]> {
  const { dim, data } = options.vectors;
  // A copy, not a view: the store may hand the buffer to native code that ignores a view's offset.
  const query = data.slice(row * dim, (row + 1) * dim);
  const cap = wanted + TIE_GROUP_CAP;
  for (let limit = wanted + 1; ; limit = Math.min(limit * 2, cap)) {
    const hits = await options.store.search(options.collection, query, {
      topK: limit,
      exact: options.exact === true,
    });
    const cut = hits[wanted - 1];
    const last = hits[hits.length - 1];
    if (hits.length < limit || limit >= cap || cut === undefined || last!.score !== cut.score) return hits;
  }
}

/** Hits beyond the run's depth fetched at most to complete a tie group at its cut (see searchOne). */
const TIE_GROUP_CAP = 4096;

/** One query's hits in the shape libs/scoring writes runs from: corpus ids index `docIds`. */
function toRunIds(queryId: string, hits: readonly SearchHit[]) {
  const results: ScoredId[][] = [hits.map((hit, i) => ({ corpusId: i, score: hit.score }))];
  return { results, queryIds: [queryId], docIds: hits.map((hit) => hit.id) };
}
