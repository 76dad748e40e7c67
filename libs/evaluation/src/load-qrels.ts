import { readWholeFile } from '@embedline/corpus';
import { detectQrelsFormat, parseBeirQrels, parseQrels, type Qrels } from '@embedline/scoring';
import { EvaluationInputError } from './errors/evaluation-input-error.ts';

/** What a qrels file holds, for the report. */
export interface QrelsSummary {
  readonly format: 'trec' | 'beir';
  readonly judgements: number;
  /** Queries with at least one relevant (grade > 0) judgement: the ones the metrics score. */
  readonly queriesWithRelevant: number;
}

/**
 * Reads a qrels file (gzipped or not): TREC (`qid iter docid rel`, as MS MARCO's `qrels.dev.small.tsv` and the TREC DL
 * qrels) or BEIR (`query-id corpus-id score` header, then tab separated lines), told apart by the
 * header. Every problem is an EvaluationInputError naming the path (and the line, for a bad line).
 */
export async function loadQrels(path: string): Promise<{ qrels: Qrels; summary: QrelsSummary }> {
  // Gzipped qrels (qrels.dev.tsv.gz) are told by their bytes: a qrels file name says no format.
  const bytes = await readWholeFile(
    path,
    'by-magic',
    (problem, cause) => new EvaluationInputError(path, problem, { cause }),
  );
  const text = bytes.toString('utf8');
  const format = detectQrelsFormat(text);
  let qrels: Qrels;
  try {
    qrels = format === 'beir' ? parseBeirQrels(text) : parseQrels(text);
  } catch (error) {
    let problem = (error as Error).message;
    // A first line of three columns and no header: a BEIR qrels file whose header was lost, or some tool's own layout.
    const first = text.split(/\r?\n/).findIndex((line) => line.trim() !== '') + 1;
    if (format === 'trec' && problem.startsWith(`qrels line ${first}:`) && problem.endsWith('got 3'))
      problem +=
        ' (a BEIR qrels file starts with the header "query-id corpus-id score"; TREC qrels have 4 columns)';
    throw new EvaluationInputError(path, problem, { cause: error });
  }
  let judgements = 0;
  let queriesWithRelevant = 0;
  for (const docs of qrels.values()) {
    judgements += docs.size;
    if ([...docs.values()].some((rel) => rel > 0)) queriesWithRelevant++;
  }
  if (queriesWithRelevant === 0) {
    throw new EvaluationInputError(
      path,
      'no query has a relevant judgement (relevance > 0): nothing to evaluate',
    );
  }
  return { qrels, summary: { format, judgements, queriesWithRelevant } };
}
