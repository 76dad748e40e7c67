import type { EvaluationReport } from './evaluate-collection.ts';

/** Queries listed by id in a report line before it says "and N more". */
const LISTED = 10;

/** The report as people read it: inputs, what was and was not scored, the metrics, the ANN recall. */
export function formatReport(report: EvaluationReport): string[] {
  const { collection, coverage } = report;
  const lines = [
    `collection ${collection.name}: ${count(collection.count)} vectors of ${collection.dimension} dimensions${collection.finalized ? '' : ' (NOT finalized)'}`,
    `run: ${count(report.queries)} queries x top ${report.topK} by ${report.exact ? 'exact (brute-force)' : 'ANN index'} search, ${count(report.hits)} hits`,
    `scored: ${count(coverage.judged.length)} queries with relevant judgements`,
  ];
  if (report.identicalHits !== undefined) {
    lines.push(
      `left out: ${count(report.identicalHits)} hits whose id is their query's id (--ignore-identical-ids, as BEIR evaluates)`,
    );
  }
  if (report.judgedHits === 0 && report.hits > 0) {
    lines.push(
      `WARNING: none of the run's ${count(report.hits)} hits is a document the qrels judge for its query: unless the search is that poor, the collection holds another corpus than the qrels judge, or other document ids`,
    );
  }
  if (report.repeatedHits > 0) {
    lines.push(
      `WARNING: ${count(report.repeatedHits)} hits were copies of a document already among the query's hits and were left out of the run: the collection holds some documents twice (finalize removes the copies)`,
    );
  }
  if (coverage.unjudged.length > 0) {
    lines.push(
      `not scored: ${count(coverage.unjudged.length)} queries without a relevant judgement in the qrels (${report.judgedOnly ? 'not searched: --judged-only' : 'searched and in the run'}): ${listed(coverage.unjudged)}`,
    );
  }
  if (coverage.missingFromQueries.length > 0) {
    lines.push(
      `WARNING: ${count(coverage.missingFromQueries.length)} judged queries are not in the queries file; they score 0 in every mean: ${listed(coverage.missingFromQueries)}`,
    );
  }
  lines.push('');
  const width = Math.max(...report.metrics.map((m) => m.name.length), 'ANN recall@10'.length) + 2;
  for (const metric of report.metrics) {
    let value: string;
    if (metric.result === undefined) {
      value = `n/a (the run holds ${report.topK} hits per query; use --top-k ${metric.k})`;
    } else {
      value = metric.result.mean.toFixed(4);
      // At a relevance level above 1 some judged queries may have nothing relevant left for this metric.
      const over = metric.result.perQuery.size;
      if (over !== coverage.judged.length + coverage.missingFromQueries.length)
        value += ` (over ${count(over)} queries)`;
    }
    lines.push(`${metric.name.padEnd(width)}${value}`);
  }
  if (report.relevanceLevel > 1) {
    lines.push(
      `(MRR and Recall count grades >= ${report.relevanceLevel} as relevant; nDCG uses every grade)`,
    );
  }
  const ann = report.annRecall;
  if (ann !== undefined) {
    const against = ann.via === 'scan' ? 'exact search over the stored vectors' : "the store's exact search";
    lines.push(
      `${`ANN recall@${ann.k}`.padEnd(width)}${ann.mean.toFixed(4)} (${report.exact ? 'exact' : 'ANN'} run vs ${against}, ${count(ann.perQuery.size)} queries)`,
    );
  }
  return lines;
}

/** One tab-separated line per query of the query set, in query order: its metrics, `-` where not scored. */
export function formatPerQuery(report: EvaluationReport, queryIds: readonly string[]): string[] {
  const ann = report.annRecall;
  const header = [
    'query',
    ...report.metrics.map((m) => m.name),
    ...(ann === undefined ? [] : [`ANN_recall@${ann.k}`]),
  ];
  const lines = [header.join('\t')];
  for (const qid of queryIds) {
    const values = report.metrics.map((m) => format(m.result?.perQuery.get(qid)));
    if (ann !== undefined) values.push(format(ann.perQuery.get(qid)));
    lines.push([qid, ...values].join('\t'));
  }
  return lines;
}

function format(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(4);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function listed(ids: readonly string[]): string {
  const shown = ids.slice(0, LISTED).join(', ');
  return ids.length > LISTED ? `${shown} and ${count(ids.length - LISTED)} more` : shown;
}
