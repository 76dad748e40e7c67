export {
  REJECT_KINDS,
  type CorpusRecord,
  type RejectedRecord,
  type RejectKind,
  type ReadResult,
} from './corpus-record.ts';
export { CORPUS_FORMATS, type CorpusFormat } from './corpus-format.ts';
export type { ByteRange } from './byte-range.ts';
export { openCorpus, type Corpus, type OpenCorpusOptions } from './open-corpus.ts';
export { CorpusError } from './errors/corpus-error.ts';
export { RejectsWriter, type RejectsWriterOptions } from './rejects-writer.ts';
export { countsByKind, formatSummary, type RejectCounts } from './reject-summary.ts';
export { readLines, type Line } from './lines.ts';
export { readTrecDocuments, type TrecReadOptions } from './trec-documents.ts';
export type { Query } from './query.ts';
export {
  readQueries,
  queryFormat,
  QUERY_FORMATS,
  type QueryFormat,
  type ReadQueriesOptions,
} from './query-files.ts';
export { parseTrecTopics, TOPIC_FIELDS, type TopicField } from './trec-topics.ts';
export { QueryFileError } from './errors/query-file-error.ts';
export { readProblem } from './read-problem.ts';
export { readWholeFile, type GunzipWhen } from './whole-file.ts';
export { embeddingText, hasTitle, textToEmbed } from './title-field.ts';
