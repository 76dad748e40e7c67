import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { checkArrowFile, readArrowRecords } from './arrow-records.ts';
import { checkRange, type ByteRange } from './byte-range.ts';
import { isSeekable, resolveFormat, type CorpusFormat } from './corpus-format.ts';
import type { ReadResult } from './corpus-record.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { jsonlParser } from './jsonl-records.ts';
import { checkGzipFile } from './lines.ts';
import { readLineRecords } from './line-records.ts';
import { checkParquetFile, readParquetRecords } from './parquet-records.ts';
import { readTrecDocuments } from './trec-documents.ts';
import { parseTsvLine } from './tsv-records.ts';
import { checkTitleField } from './title-field.ts';

export interface OpenCorpusOptions {
  /** One of CORPUS_FORMATS, overriding the file name; undefined: tell from the name. */
  readonly format?: string;
  /**
   * Reject ids seen earlier in the same read (default true). The producer needs it; a worker
   * re-reading a range does not (the producer already listed the duplicates in it).
   */
  readonly dedupe?: boolean;
  /**
   * The field (JSONL key, Arrow/Parquet column) holding a title that is embedded with the text
   * (embeddingText). Only JSONL, Arrow and Parquet corpora have fields: for TSV and TREC it is a
   * CorpusError, as is an Arrow/Parquet file without that string column. A record whose title is there
   * but not a string is rejected ('bad-title'); the title stays in the payload either way.
   */
  readonly titleField?: string;
}

/** A corpus file, ready to be read any number of times. */
export interface Corpus {
  readonly path: string;
  readonly format: CorpusFormat;
  /** True for uncompressed TSV, JSONL and TREC: a byte range can be re-read on its own. */
  readonly seekable: boolean;
  /**
   * Streams the corpus's records and rejects in file order, in constant memory (but for the
   * duplicate-id registry). With a range (seekable formats only; a CorpusError otherwise), only the
   * records whose first byte lies in [start, end). Each call is a fresh read with its own duplicate
   * registry. Throws CorpusError for whole-file problems; bad records are yielded as rejects.
   */
  read(range?: ByteRange): AsyncGenerator<ReadResult>;
}

/**
 * Opens a corpus: checks that the file is there and readable, settles its format (from
 * `options.format`, else the file name: .tsv, .tsv.gz, .jsonl/.ndjson(.gz), .arrow/.arrows/.feather,
 * .parquet, .trec) and, for Arrow and Parquet, that it has `id` and `text` columns. Problems with the
 * whole file throw a CorpusError naming the path.
 */
export async function openCorpus(path: string, options: OpenCorpusOptions = {}): Promise<Corpus> {
  const format = resolveFormat(path, options.format);
  const { titleField } = options;
  checkTitleField(path, format, titleField);
  let stats;
  try {
    stats = await stat(path);
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const problem =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'not readable (permission denied)'
          : (error as Error).message;
    throw new CorpusError(path, problem, { cause: error });
  }
  if (!stats.isFile()) throw new CorpusError(path, 'not a regular file');
  if (format === 'tsv.gz' || format === 'jsonl.gz') await checkGzipFile(path);
  if (format === 'arrow') await checkArrowFile(path, titleField);
  if (format === 'parquet') await checkParquetFile(path, titleField);
  const dedupe = options.dedupe ?? true;
  const seekable = isSeekable(format);
  return {
    path,
    format,
    seekable,
    read(range?: ByteRange): AsyncGenerator<ReadResult> {
      if (range !== undefined) {
        if (!seekable)
          throw new CorpusError(
            path,
            `a ${format} corpus cannot be read by byte range (only tsv, jsonl and trec can)`,
          );
        checkRange(path, range);
      }
      switch (format) {
        case 'tsv':
        case 'tsv.gz':
          return readLineRecords(path, parseTsvLine, { range, gzip: format === 'tsv.gz', dedupe });
        case 'jsonl':
        case 'jsonl.gz':
          return readLineRecords(path, jsonlParser(titleField), {
            range,
            gzip: format === 'jsonl.gz',
            dedupe,
          });
        case 'trec':
          return readTrecDocuments(path, { range, dedupe });
        case 'arrow':
          return readArrowRecords(path, { dedupe, titleField });
        case 'parquet':
          return readParquetRecords(path, { dedupe, titleField });
      }
    },
  };
}
