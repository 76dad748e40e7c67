/** One non-blank line of a TREC-style file, split on whitespace, with its 1-based line number. */
export interface TrecLine {
  readonly lineNumber: number;
  readonly fields: readonly string[];
}

/**
 * The non-blank lines of `text` that have exactly `format`'s field count. Blank lines are skipped (files
 * often end with one); anything else malformed is an error naming the file kind and line number, since
 * a silently dropped judgement or hit would skew every metric computed from the file.
 */
export function* trecLines(text: string, kind: string, format: readonly string[]): Generator<TrecLine> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== format.length) {
      throw trecLineError(
        kind,
        i + 1,
        `expected ${format.length} fields "${format.join(' ')}", got ${fields.length}`,
      );
    }
    yield { lineNumber: i + 1, fields };
  }
}

export function trecLineError(kind: string, lineNumber: number, problem: string): Error {
  return new Error(`${kind} line ${lineNumber}: ${problem}`);
}

/** Adds `query -> doc -> value`, refusing a second value for the same pair (it would silently win). */
export function addUnique(
  table: Map<string, Map<string, number>>,
  firstLines: Map<string, number>,
  kind: string,
  line: TrecLine,
  query: string,
  doc: string,
  value: number,
): void {
  let docs = table.get(query);
  if (docs === undefined) table.set(query, (docs = new Map()));
  const key = `${query}\u0000${doc}`;
  const first = firstLines.get(key);
  if (first !== undefined) {
    throw trecLineError(
      kind,
      line.lineNumber,
      `duplicate entry for query ${query} document ${doc} (first on line ${first})`,
    );
  }
  firstLines.set(key, line.lineNumber);
  docs.set(doc, value);
}
