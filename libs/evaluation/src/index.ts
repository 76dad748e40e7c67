export {
  checkEvaluationInputs,
  evaluateChecked,
  evaluateCollection,
  type AnnRecallOptions,
  type AnnRecallReport,
  type CheckedEvaluationInputs,
  type EvaluateCollectionOptions,
  type EvaluationInputs,
  type EvaluationReport,
} from './evaluate-collection.ts';
export { checkRunPath } from './run-file.ts';
export { loadQrels, type QrelsSummary } from './load-qrels.ts';
export { encodeQueries, type QueryEncoder } from './encode-queries.ts';
export { searchRun, type SearchRun, type SearchRunOptions } from './search-run.ts';
export {
  exactNeighbours,
  recallAgainstExact,
  TIE_TOLERANCE,
  type ExactVia,
  type Neighbour,
} from './ann-recall.ts';
export {
  queryCoverage,
  reportedMetrics,
  REPORTED_METRICS,
  type MetricName,
  type QueryCoverage,
  type ReportedMetric,
} from './metrics.ts';
export { formatPerQuery, formatReport } from './format-report.ts';
export { EvaluationInputError } from './errors/evaluation-input-error.ts';
