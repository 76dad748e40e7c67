import { rejected, type ReadResult, type RejectKind } from './corpus-record.ts';
import type { Line } from './line-splitter.ts';

/** A problem found in a record's fields, before it becomes a reject with its position. */
export interface Problem {
  readonly kind: RejectKind;
  readonly reason: string;
}

const NON_SPACE = /\S/;

/** The checks every format applies to a text: it must have something to embed, and no NUL. */
export function checkText(text: string): Problem | undefined {
  if (!NON_SPACE.test(text))
    return { kind: 'empty-text', reason: text === '' ? 'empty text' : 'text is whitespace only' };
  // NUL never occurs in real text; it marks binary junk or a corrupted (zero-filled) block.
  const nul = text.indexOf('\0');
  if (nul !== -1) return { kind: 'nul-byte', reason: `text has a NUL character at position ${nul}` };
  return undefined;
}

/** A value quoted for a reject reason: JSON-escaped (control characters visible) and cut to `max` characters. */
export function quote(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** The type of a JSON value, for reasons: "number", "array", "null"... */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const BLANK = /^\s*$/;

/**
 * The checks every line-based format (TSV, JSONL) makes before parsing a line: `'blank'` for a line
 * that is not a record (skipped, not a reject), a reject for a line that cannot be read, else
 * undefined (go on parsing). A NUL anywhere in the line means the file is damaged there.
 */
export function checkLine(line: Line): ReadResult | 'blank' | undefined {
  const { text, number, byteOffset } = line;
  if (line.tooLong)
    return rejected(number, byteOffset, 'line-too-long', 'line too long to hold in memory; dropped unread');
  if (BLANK.test(text)) return 'blank';
  if (!line.validUtf8)
    return rejected(number, byteOffset, 'invalid-utf8', `line is not valid UTF-8: ${quote(text)}`);
  if (text.includes('\0'))
    return rejected(number, byteOffset, 'nul-byte', `line has a NUL character: ${quote(text)}`);
  return undefined;
}
