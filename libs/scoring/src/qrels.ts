import { addUnique, trecLineError, trecLines } from './trec-lines.ts';

/**
 * Relevance judgements: query id -> document id -> graded relevance. A grade <= 0 means judged not
 * relevant; a document absent from its query's map is unjudged, which the metrics also treat as not
 * relevant (as trec_eval does).
 */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

const QRELS_FORMAT = ['qid', 'iter', 'docid', 'rel'];

/**
 * Parses a TREC qrels file: `qid iter docid rel` per line, whitespace separated, `iter` ignored,
 * `rel` an integer. Malformed lines and repeated (qid, docid) pairs are errors naming the line.
 */
export function parseQrels(text: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const firstLines = new Map<string, number>();
  for (const line of trecLines(text, 'qrels', QRELS_FORMAT)) {
    const [qid, , docid, rel] = line.fields as [string, string, string, string];
    if (!/^[+-]?\d+$/.test(rel))
      throw trecLineError('qrels', line.lineNumber, `relevance "${rel}" is not an integer`);
    addUnique(qrels, firstLines, 'qrels', line, qid, docid, Number(rel));
  }
  return qrels;
}
