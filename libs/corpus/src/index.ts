export type { CorpusRecord, RejectedRecord, ReadResult } from './corpus-record.ts';
export { readLines, type Line } from './lines.ts';
export { readTrecDocuments } from './trec-documents.ts';
