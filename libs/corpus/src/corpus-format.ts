import { basename } from 'node:path';
import { CorpusError } from './errors/corpus-error.ts';

/**
 * The formats a corpus can be read in. The names double as file extensions (`shard.tsv`), and
 * travel in queue jobs: keep them stable.
 */
export const CORPUS_FORMATS = ['tsv', 'tsv.gz', 'jsonl', 'jsonl.gz', 'arrow', 'parquet', 'trec'] as const;

export type CorpusFormat = (typeof CORPUS_FORMATS)[number];

/** File name endings, longest first so `.tsv.gz` wins over `.gz`. */
const EXTENSIONS: readonly (readonly [string, CorpusFormat])[] = [
  ['.jsonl.gz', 'jsonl.gz'],
  ['.ndjson.gz', 'jsonl.gz'],
  ['.tsv.gz', 'tsv.gz'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.tsv', 'tsv'],
  ['.arrow', 'arrow'],
  ['.arrows', 'arrow'],
  ['.feather', 'arrow'],
  ['.parquet', 'parquet'],
  ['.trec', 'trec'],
];

/** Uncompressed line formats: a byte range of the file can be read on its own. */
export function isSeekable(format: CorpusFormat): boolean {
  return format === 'tsv' || format === 'jsonl' || format === 'trec';
}

/** The format named by `format`, else the one the file name says; a CorpusError when neither does. */
export function resolveFormat(path: string, format?: string): CorpusFormat {
  if (format !== undefined) {
    const named = CORPUS_FORMATS.find((f) => f === format);
    if (!named)
      throw new CorpusError(path, `unknown format "${format}" (known: ${CORPUS_FORMATS.join(', ')})`);
    return named;
  }
  const name = basename(path).toLowerCase();
  const match = EXTENSIONS.find(([extension]) => name.endsWith(extension));
  if (!match) {
    throw new CorpusError(
      path,
      `cannot tell the format from the file name (known endings: ${EXTENSIONS.map(([e]) => e).join(', ')}); name one with the format option`,
    );
  }
  return match[1];
}
