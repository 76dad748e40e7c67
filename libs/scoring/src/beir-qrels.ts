import { addUnique, trecLineError, trecLines } from './trec-lines.ts';

/** The header line of a BEIR qrels file (`qrels/test.tsv`), tab separated. */
const BEIR_HEADER = ['query-id', 'corpus-id', 'score'];

/** `beir` when the first non-blank line is BEIR's `query-id corpus-id score` header, else `trec`. */
export function detectQrelsFormat(text: string): 'trec' | 'beir' {
  const first = text.split(/\r?\n/, 64).find((line) => line.trim() !== '');
  const fields = first?.trim().split(/\s+/) ?? [];
  return fields.length === 3 && fields.every((field, i) => field === BEIR_HEADER[i]) ? 'beir' : 'trec';
}

/**
 * Parses BEIR qrels: the header `query-id corpus-id score`, then `qid docid score` per line
 * (whitespace separated, `score` an integer grade, as in TREC qrels). Malformed lines, a missing
 * header and repeated (qid, docid) pairs are errors naming the line.
 */
export function parseBeirQrels(text: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const firstLines = new Map<string, number>();
  let header = true;
  for (const line of trecLines(text, 'qrels', BEIR_HEADER)) {
    const [qid, docid, score] = line.fields as [string, string, string];
    if (header) {
      header = false;
      if (line.fields.every((field, i) => field === BEIR_HEADER[i])) continue;
      throw trecLineError('qrels', line.lineNumber, `expected the BEIR header "${BEIR_HEADER.join(' ')}"`);
    }
    if (!/^[+-]?\d+$/.test(score))
      throw trecLineError('qrels', line.lineNumber, `score "${score}" is not an integer`);
    addUnique(qrels, firstLines, 'qrels', line, qid, docid, Number(score));
  }
  return qrels;
}
