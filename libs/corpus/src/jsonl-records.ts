import { accepted, rejected, type ReadResult } from './corpus-record.ts';
import type { Line } from './line-splitter.ts';
import { describeFields, firstPresent, ID_FIELDS, TEXT_FIELDS } from './field-names.ts';
import { checkLine, checkText, quote, typeName, type Problem } from './record-checks.ts';
import { checkTitle } from './title-field.ts';

/**
 * One line of a JSONL corpus: a JSON object with `id` (a string, or an integer, kept as its decimal
 * string) and `text` (a string), or their other conventional names (field-names.ts: BEIR's `_id`,
 * Pyserini's `contents`); every other key goes to `payload` (null when there is none).
 *
 * A blank line is not a record: it is skipped (returns undefined) and not counted as a reject, as
 * JSONL tools write a trailing blank line freely. Integer ids beyond Number.MAX_SAFE_INTEGER were
 * already rounded by JSON.parse, so they are rejected ('id-out-of-range') rather than stored wrong.
 */
export function parseJsonlLine(line: Line): ReadResult | undefined {
  return parseJsonlRecord(line, undefined);
}

/**
 * A JSONL line parser that also checks the title field's value (title-field.ts: a value that is there and
 * not a string is a 'bad-title' reject); the title stays in the payload.
 */
export function jsonlParser(titleField: string | undefined): (line: Line) => ReadResult | undefined {
  return titleField === undefined ? parseJsonlLine : (line) => parseJsonlRecord(line, titleField);
}

function parseJsonlRecord(line: Line, titleField: string | undefined): ReadResult | undefined {
  const { text, number, byteOffset } = line;
  const early = checkLine(line);
  if (early === 'blank') return undefined;
  if (early !== undefined) return early;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = text.startsWith('\ufeff')
      ? 'line starts with a byte order mark (files concatenated after one with a BOM?)'
      : `invalid JSON (${(error as Error).message}): ${quote(text)}`;
    return rejected(number, byteOffset, 'invalid-json', reason);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return rejected(
      number,
      byteOffset,
      'not-an-object',
      `line is a JSON ${typeName(value)}, not an object: ${quote(text)}`,
    );
  }
  const object = value as Record<string, unknown>;
  const has = (key: string) => key in object;
  const idKey = firstPresent(ID_FIELDS, has) ?? 'id';
  const textKey = firstPresent(TEXT_FIELDS, has) ?? 'text';
  const { [idKey]: id, [textKey]: body, ...rest } = object;
  const idOrProblem = readId(idKey, id);
  if (typeof idOrProblem !== 'string')
    return rejected(number, byteOffset, idOrProblem.kind, idOrProblem.reason);
  if (body === undefined || body === null) {
    const what = body === null ? `"${textKey}" is null` : `no ${describeFields(TEXT_FIELDS)}`;
    return rejected(number, byteOffset, 'missing-text', `${what} (id ${idOrProblem})`);
  }
  if (typeof body !== 'string') {
    return rejected(
      number,
      byteOffset,
      'missing-text',
      `"${textKey}" is a ${typeName(body)}, not a string (id ${idOrProblem})`,
    );
  }
  const problem = checkText(body);
  if (problem) return rejected(number, byteOffset, problem.kind, `${problem.reason} (id ${idOrProblem})`);
  const payload = Object.keys(rest).length > 0 ? rest : null;
  const result = accepted({ id: idOrProblem, text: body, payload, line: number, byteOffset });
  return checkTitle(result, titleField, titleField === undefined ? undefined : rest[titleField]);
}

/** The id as a string, or what is wrong with it. */
function readId(key: string, id: unknown): string | Problem {
  if (id === undefined || id === null)
    return {
      kind: 'missing-id',
      reason: id === null ? `"${key}" is null` : `no ${describeFields(ID_FIELDS)}`,
    };
  if (typeof id === 'string') {
    if (id.trim() === '') return { kind: 'bad-id', reason: `id ${quote(id)} is blank` };
    if (id.includes('\0')) return { kind: 'nul-byte', reason: `id ${quote(id)} has a NUL character` };
    return id;
  }
  if (typeof id === 'number') {
    if (!Number.isInteger(id)) return { kind: 'bad-id', reason: `id ${id} is not an integer` };
    if (!Number.isSafeInteger(id)) {
      return {
        kind: 'id-out-of-range',
        reason: `id ${id} is beyond Number.MAX_SAFE_INTEGER: JSON parsing rounded it; write it as a string`,
      };
    }
    return String(id); // String(-0) is "0"
  }
  return { kind: 'bad-id', reason: `id is a ${typeName(id)}, expected a string or an integer` };
}
