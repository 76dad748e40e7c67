import { accepted, rejected, type ReadResult } from './corpus-record.ts';
import type { Line } from './line-splitter.ts';
import { checkLine, checkText, quote } from './record-checks.ts';

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * One line of an MS MARCO `collection.tsv`: `pid<TAB>passage`.
 *
 * - The id is a decimal integer without sign or leading zeros ('bad-id' otherwise: `abc`, `-1`,
 *   `1.5`, `007`, ` 7`), at most Number.MAX_SAFE_INTEGER ('id-out-of-range'): MS MARCO pids are
 *   0..8841822, and a larger id could not be handled as a number exactly downstream.
 * - The text is everything after the first TAB. MS MARCO passages hold no TABs, but a TAB further on
 *   is kept as part of the text rather than rejecting the line: nothing is lost, nothing guessed.
 * - A blank line is not a record: it is skipped (returns undefined) and not counted as a reject.
 */
export function parseTsvLine(line: Line): ReadResult | undefined {
  const { text, number, byteOffset } = line;
  const early = checkLine(line);
  if (early === 'blank') return undefined;
  if (early !== undefined) return early;
  const tab = text.indexOf('\t');
  if (tab === -1)
    return rejected(number, byteOffset, 'no-separator', `no TAB between id and text: ${quote(text)}`);
  const id = text.slice(0, tab);
  if (!DECIMAL.test(id)) {
    const reason = id.startsWith('\ufeff')
      ? `id ${quote(id)} starts with a byte order mark (files concatenated after one with a BOM?)`
      : `id ${quote(id)} is not a non-negative decimal integer`;
    return rejected(number, byteOffset, 'bad-id', reason);
  }
  if (id.length > 16 || Number(id) > Number.MAX_SAFE_INTEGER) {
    return rejected(
      number,
      byteOffset,
      'id-out-of-range',
      `id ${quote(id)} is above ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER)`,
    );
  }
  const passage = text.slice(tab + 1);
  const problem = checkText(passage);
  if (problem) return rejected(number, byteOffset, problem.kind, `${problem.reason} (id ${id})`);
  return accepted({ id, text: passage, line: number, byteOffset });
}
