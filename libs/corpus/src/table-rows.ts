import { isUtf8 } from 'node:buffer';
import { accepted, rejected, type ReadResult } from './corpus-record.ts';
import { checkText, quote, typeName, type Problem } from './record-checks.ts';

/** A string column value whose bytes are not valid UTF-8; `lossy` has U+FFFD in their place. */
export class InvalidUtf8 {
  constructor(readonly lossy: string) {}
}

/** Decodes a string value, keeping the fact that it was not valid UTF-8 (TextDecoder would hide it). */
export function decodeUtf8(bytes: Uint8Array): string | InvalidUtf8 {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  return isUtf8(buffer) ? text : new InvalidUtf8(text);
}

/**
 * The result for one row of a columnar file (Arrow, Parquet): the same id and text rules as the
 * line formats. `row` is the 1-based row number in the file, `group` the 0-based index of the record
 * batch or row group, which stands in for the byte offset (see CorpusRecord).
 */
export function rowResult(
  row: number,
  group: number,
  id: unknown,
  text: unknown,
  payload: Record<string, unknown> | null,
): ReadResult {
  const idOrProblem = rowId(id);
  if (typeof idOrProblem !== 'string') return rejected(row, group, idOrProblem.kind, idOrProblem.reason);
  const textOrProblem = rowText(text);
  if (typeof textOrProblem !== 'string')
    return rejected(row, group, textOrProblem.kind, `${textOrProblem.reason} (id ${idOrProblem})`);
  return accepted({ id: idOrProblem, text: textOrProblem, payload, line: row, byteOffset: group });
}

function rowId(value: unknown): string | Problem {
  if (value === null || value === undefined) return { kind: 'missing-id', reason: 'id is null' };
  if (value instanceof InvalidUtf8)
    return { kind: 'invalid-utf8', reason: `id is not valid UTF-8: ${quote(value.lossy)}` };
  if (typeof value === 'string') {
    if (!/\S/.test(value)) return { kind: 'bad-id', reason: `id ${quote(value)} is blank` };
    if (value.includes('\0')) return { kind: 'nul-byte', reason: `id ${quote(value)} has a NUL character` };
    return value;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // pandas turns an integer column with missing values into float64 with NaN for the missing ones.
    if (Number.isNaN(value)) return { kind: 'missing-id', reason: 'id is NaN (a missing value)' };
    if (!Number.isInteger(value)) return { kind: 'bad-id', reason: `id ${value} is not an integer` };
    if (!Number.isSafeInteger(value))
      return { kind: 'id-out-of-range', reason: `id ${value} is beyond Number.MAX_SAFE_INTEGER` };
    return String(value);
  }
  return { kind: 'bad-id', reason: `id is a ${typeName(value)}, expected a string or an integer` };
}

function rowText(value: unknown): string | Problem {
  if (value === null || value === undefined) return { kind: 'missing-text', reason: 'text is null' };
  if (value instanceof InvalidUtf8)
    return { kind: 'invalid-utf8', reason: `text is not valid UTF-8: ${quote(value.lossy)}` };
  if (typeof value !== 'string')
    return { kind: 'missing-text', reason: `text is a ${typeName(value)}, not a string` };
  return checkText(value) ?? value;
}
