import type { ScoredId } from './top-k-heap.ts';
import { addUnique, trecLineError, trecLines } from './trec-lines.ts';

/**
 * A run (a system's ranked results): query id -> document id -> score. Only scores matter: the
 * ranking is rebuilt from them (see `rankDocuments`), as trec_eval ignores the rank column.
 */
export type Run = ReadonlyMap<string, ReadonlyMap<string, number>>;

const RUN_FORMAT = ['qid', 'Q0', 'docid', 'rank', 'score', 'tag'];

/**
 * Parses a TREC run file: `qid Q0 docid rank score tag` per line, whitespace separated. `Q0` and the
 * tag are ignored, `rank` must be an integer, `score` a number. Malformed lines and a document listed
 * twice for one query are errors naming the line.
 */
export function parseRun(text: string): Map<string, Map<string, number>> {
  const run = new Map<string, Map<string, number>>();
  const firstLines = new Map<string, number>();
  for (const line of trecLines(text, 'run', RUN_FORMAT)) {
    const [qid, , docid, rank, scoreText] = line.fields as [string, string, string, string, string, string];
    if (!/^[+-]?\d+$/.test(rank))
      throw trecLineError('run', line.lineNumber, `rank "${rank}" is not an integer`);
    const score = Number(scoreText);
    if (Number.isNaN(score))
      throw trecLineError('run', line.lineNumber, `score "${scoreText}" is not a number`);
    addUnique(run, firstLines, 'run', line, qid, docid, score);
  }
  return run;
}

/** How search results map to TREC ids: query i is `queryIds[i]`, corpus row j is `docIds(j)` or `docIds[j]`. */
export interface RunIds {
  readonly queryIds: readonly string[];
  readonly docIds: readonly string[] | ((corpusId: number) => string);
}

export interface TrecRunOptions extends RunIds {
  /** The run's name, written in the last column. */
  readonly tag: string;
}

/**
 * Search results as TREC run text, one `qid Q0 docid rank score tag` line per hit, ranks from 1 in the
 * results' order. Scores are written in full (shortest round-trip form) so re-reading them gives the
 * same ranking; ids and tag must not contain whitespace, which would shift the columns.
 */
export function formatTrecRun(results: readonly (readonly ScoredId[])[], options: TrecRunOptions): string {
  checkToken('tag', options.tag);
  const lines: string[] = [];
  forEachHit(results, options, (qid, docid, hit, rank) => {
    lines.push(`${qid} Q0 ${docid} ${rank} ${hit.score} ${options.tag}`);
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Search results as an in-memory run, to evaluate without writing a file. */
export function resultsToRun(
  results: readonly (readonly ScoredId[])[],
  ids: RunIds,
): Map<string, Map<string, number>> {
  const run = new Map<string, Map<string, number>>();
  forEachHit(results, ids, (qid, docid, hit) => {
    let docs = run.get(qid);
    if (docs === undefined) run.set(qid, (docs = new Map()));
    if (docs.has(docid)) throw new Error(`resultsToRun: query ${qid} lists document ${docid} twice`);
    docs.set(docid, hit.score);
  });
  return run;
}

function forEachHit(
  results: readonly (readonly ScoredId[])[],
  ids: RunIds,
  visit: (qid: string, docid: string, hit: ScoredId, rank: number) => void,
): void {
  if (results.length !== ids.queryIds.length) {
    throw new Error(`run: ${results.length} result lists but ${ids.queryIds.length} query ids`);
  }
  results.forEach((hits, q) => {
    const qid = checkToken('query id', ids.queryIds[q]!);
    hits.forEach((hit, i) => visit(qid, checkToken('document id', docIdOf(ids, hit.corpusId)), hit, i + 1));
  });
}

function docIdOf(ids: RunIds, corpusId: number): string {
  if (typeof ids.docIds === 'function') return ids.docIds(corpusId);
  const docid = ids.docIds[corpusId];
  if (docid === undefined)
    throw new Error(`run: no document id for corpus id ${corpusId} (${ids.docIds.length} ids given)`);
  return docid;
}

function checkToken(what: string, value: string): string {
  if (value === '' || /\s/.test(value))
    throw new Error(`run: ${what} ${JSON.stringify(value)} is empty or contains whitespace`);
  return value;
}
