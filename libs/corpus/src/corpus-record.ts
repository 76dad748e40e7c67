/**
 * One passage read from a corpus.
 *
 * Where a record sits depends on the format:
 * - TSV, JSONL, TREC (and their .gz): `line` is the 1-based line where the record starts and
 *   `byteOffset` the offset of its first byte (a UTF-8 BOM counted), so a shard can be re-read from
 *   there; in .gz files it is the offset in the decompressed stream. A range read that starts past
 *   the first line and is given no `firstLine` cannot know line numbers: they are 0 there.
 * - Arrow IPC, Parquet: `line` is the 1-based row number in the file and `byteOffset` the 0-based
 *   index of the record batch (Arrow) or row group (Parquet) holding the row: columnar files have
 *   no byte position per row.
 */
export interface CorpusRecord {
  readonly id: string;
  readonly text: string;
  /** The record's other fields (JSONL keys, Arrow/Parquet columns); null or absent when it has none. */
  readonly payload?: Record<string, unknown> | null;
  readonly line: number;
  readonly byteOffset: number;
}

/**
 * Stable, machine-readable reasons for a reject, so summaries can count by kind. Append only:
 * rejects files written by earlier runs use these names.
 */
export const REJECT_KINDS = [
  /** TSV: a line with no TAB between id and text. */
  'no-separator',
  /** The text is empty or whitespace only. */
  'empty-text',
  /** The line (or Parquet string value) is not valid UTF-8. */
  'invalid-utf8',
  /** A NUL character: corruption in a text corpus. */
  'nul-byte',
  /** An id that is not an id: TSV non-decimal (`abc`, `-1`, `1.5`, `007`), JSONL/Arrow/Parquet wrong type. */
  'bad-id',
  /** A numeric id too large to be held exactly (above Number.MAX_SAFE_INTEGER). */
  'id-out-of-range',
  /** JSONL: the line is not JSON. */
  'invalid-json',
  /** JSONL: the line is JSON, but not an object. */
  'not-an-object',
  /** No id: JSONL key absent or null, Arrow/Parquet null, TREC `<DOCNO>` absent. */
  'missing-id',
  /** No text, or text that is not a string. */
  'missing-text',
  /** An id seen earlier in the same read; the reason names the line of the first occurrence. */
  'duplicate-id',
  /** A .gz file that ends early: the records before the cut are read, then this one reject. */
  'truncated-gzip',
  /** A .gz file with damaged data: the records before the damage are read, then this one reject. */
  'corrupt-gzip',
  /** TREC: `<DOC>` structure broken (unclosed document, text outside a document, stray `</DOC>`). */
  'malformed-document',
  /** Parquet: a row of a row group that could not be decoded (one reject per row; reading goes on). */
  'bad-row',
  /** Arrow: a record batch that could not be decoded (its row count is unknown: one reject). */
  'bad-batch',
  /** A line longer than the reader's limit (64 MiB by default): dropped unread, so memory stays bounded. */
  'line-too-long',
  /** With a title field (JSONL, Arrow, Parquet): the title is there but is not a string (a number, an object...). */
  'bad-title',
] as const;

export type RejectKind = (typeof REJECT_KINDS)[number];

/** A record that could not be read, with where and why; counted and reported, never dropped silently. */
export interface RejectedRecord {
  readonly line: number;
  readonly byteOffset: number;
  readonly kind: RejectKind;
  /** For people: what is wrong, quoting (a shortened) offending value. */
  readonly reason: string;
}

export type ReadResult =
  | { readonly ok: true; readonly record: CorpusRecord }
  | { readonly ok: false; readonly rejected: RejectedRecord };

export function accepted(record: CorpusRecord): ReadResult {
  return { ok: true, record };
}

export function rejected(line: number, byteOffset: number, kind: RejectKind, reason: string): ReadResult {
  return { ok: false, rejected: { line, byteOffset, kind, reason } };
}
