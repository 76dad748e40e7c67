import { rejected, type ReadResult } from './corpus-record.ts';
import { CorpusError } from './errors/corpus-error.ts';
import type { CorpusFormat } from './corpus-format.ts';
import { describeFields, ID_FIELDS, TEXT_FIELDS } from './field-names.ts';
import { quote, typeName, type Problem } from './record-checks.ts';
import { InvalidUtf8 } from './table-rows.ts';

/**
 * The text the encoder embeds for a passage whose title is `title` (the `titleField`'s value), as BEIR's
 * `encode_corpus` (and sentence-transformers' BEIR evaluation) builds it: `(title + " " + text).strip()`
 * when the document has a title, else `text.strip()`. A title that is missing, null, empty or whitespace
 * only counts as none (with the single-space separator, BEIR's stripped string is then the text's own).
 * Only what is embedded changes: the stored text stays the passage text, the title stays in the payload.
 * Stripping cannot change the tokens (the tokenizer drops surrounding whitespace), so the vector is BEIR's.
 */
export function embeddingText(text: string, title: unknown): string {
  if (!hasTitle(title)) return text.trim();
  return `${title} ${text}`.trim();
}

/**
 * What the encoder embeds for a passage read with `titleField` (the ingest's, or demo's, --title-field): with
 * one, embeddingText of its text and the payload's title; without, its text as it is. The producer's workers
 * and `embedline demo` both embed through this, so a corpus tried in the demo ranks as the pipeline's would.
 */
export function textToEmbed(
  passage: { readonly text: string; readonly payload?: Readonly<Record<string, unknown>> | null },
  titleField: string | undefined,
): string {
  return titleField === undefined ? passage.text : embeddingText(passage.text, passage.payload?.[titleField]);
}

/** Whether a title value is one that is embedded: a string with something besides whitespace. */
export function hasTitle(title: unknown): title is string {
  return typeof title === 'string' && /\S/.test(title);
}

/**
 * Checks the title field named for a corpus, before anything is read: TSV and TREC records have no fields
 * to take it from, and the id and text fields cannot be the title (they are not in the payload).
 */
export function checkTitleField(path: string, format: CorpusFormat, titleField: string | undefined): void {
  if (titleField === undefined) return;
  if (titleField.trim() === '')
    throw new CorpusError(
      path,
      `title field ${quote(titleField)} is blank: name the field that holds the title`,
    );
  if (format === 'tsv' || format === 'tsv.gz' || format === 'trec') {
    const what =
      format === 'trec' ? 'TREC <DOC> documents are read as id and text only' : 'TSV lines are id<TAB>text';
    throw new CorpusError(
      path,
      `a ${format} corpus has no fields, so it has no title field "${titleField}" (${what}); a title field needs a JSONL, Arrow or Parquet corpus`,
    );
  }
  const reserved = [...ID_FIELDS, ...TEXT_FIELDS] as readonly string[];
  if (reserved.includes(titleField)) {
    throw new CorpusError(
      path,
      `title field "${titleField}" is one of the fields read as the id or the text (${describeFields(reserved)}); name the field that holds the title`,
    );
  }
}

/** A table's title column, as a refusal names it: its type in the format's words, and whether it holds strings. */
export interface TitleColumn {
  readonly type: string;
  readonly isString: boolean;
}

/**
 * Refuses, when a table corpus (Arrow, Parquet) is opened, a title field that names none of its columns
 * (`names`) or a column (`title`) that holds no strings; `stringType` is what the format calls a string column.
 */
export function checkTitleColumn(
  path: string,
  titleField: string | undefined,
  table: { readonly names: readonly string[]; readonly title?: TitleColumn; readonly stringType: string },
): void {
  if (titleField === undefined) return;
  if (table.title === undefined)
    throw new CorpusError(
      path,
      `no "${titleField}" column for the title field (columns: ${table.names.join(', ')})`,
    );
  if (!table.title.isString)
    throw new CorpusError(
      path,
      `title column "${titleField}" is ${table.title.type}, expected a string (${table.stringType}) column`,
    );
}

/**
 * With a title field, an accepted record whose title (`title`, the field's raw value) is neither absent,
 * null nor a string is rejected ('bad-title'), and one whose title is undecodable UTF-8 ('invalid-utf8'):
 * it could be embedded neither as BEIR would nor as its text alone without a silent guess. Applied before
 * the duplicate check, as the text's own checks are.
 */
export function checkTitle(result: ReadResult, titleField: string | undefined, title: unknown): ReadResult {
  if (titleField === undefined || !result.ok) return result;
  const problem = titleProblem(titleField, title);
  if (problem === undefined) return result;
  const { line, byteOffset, id } = result.record;
  return rejected(line, byteOffset, problem.kind, `${problem.reason} (id ${id})`);
}

function titleProblem(field: string, value: unknown): Problem | undefined {
  if (value === undefined || value === null || typeof value === 'string') return undefined;
  if (value instanceof InvalidUtf8)
    return { kind: 'invalid-utf8', reason: `title "${field}" is not valid UTF-8: ${quote(value.lossy)}` };
  const shown = typeof value === 'object' ? '' : `: ${quote(String(value))}`;
  const type = typeName(value);
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';
  return { kind: 'bad-title', reason: `title "${field}" is ${article} ${type}, not a string${shown}` };
}
