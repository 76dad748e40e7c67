// Vectors and matrices.
export {
  createMatrix,
  matrixFromRows,
  matrixFromVector,
  matrixRow,
  matrixToRows,
  type Matrix,
} from './matrix.ts';

// Scores, over two vectors or two matrices.
export { dotScore } from './dot-score.ts';
export { cosSim } from './cos-sim.ts';
export { euclidean } from './euclidean.ts';

// Exact top-k search.
export {
  ExactSearch,
  semanticSearch,
  semanticSearchStream,
  type Corpus,
  type CorpusChunk,
  type ScoreFunction,
  type SemanticSearchOptions,
} from './semantic-search.ts';
export { TopKHeap, type ScoredId } from './top-k-heap.ts';

// TREC files and IR metrics.
export { parseQrels, type Qrels } from './qrels.ts';
export { detectQrelsFormat, parseBeirQrels } from './beir-qrels.ts';
export {
  formatTrecRun,
  parseRun,
  resultsToRun,
  type Run,
  type RunIds,
  type TrecRunOptions,
} from './trec-run.ts';
export { readQrels, readRun, writeTrecRun } from './trec-files.ts';
export { rankDocuments, trecEvalOrder } from './ranking.ts';
export {
  evaluateMetric,
  mrrAtK,
  ndcgAtK,
  recallAtK,
  type MetricResult,
  type QueryMetric,
} from './evaluate.ts';
