import type { ByteRange } from './byte-range.ts';
import { accepted, rejected, type ReadResult, type RejectKind } from './corpus-record.ts';
import { checkDuplicate } from './duplicates.ts';
import { IdRegistry } from './id-registry.ts';
import type { Line } from './line-splitter.ts';
import { readLineChunks } from './lines.ts';
import { checkText } from './record-checks.ts';

const DOCNO = /^\s*<DOCNO>\s*(.*?)\s*<\/DOCNO>\s*$/i;
const OPEN = /^\s*<DOC>\s*$/i;
const CLOSE = /^\s*<\/DOC>\s*$/i;

export interface TrecReadOptions {
  /** Only documents whose `<DOC>` line starts in [start, end); the range must start at a line outside a document. */
  readonly range?: ByteRange;
  /** Reject repeated `<DOCNO>`s (default true). */
  readonly dedupe?: boolean;
}

interface OpenDoc {
  readonly line: number;
  readonly byteOffset: number;
  id?: string;
  readonly body: string[];
  /** Characters in `body`: a document with no `</DOC>` must not pull the rest of the file into memory. */
  size: number;
  problem?: { kind: RejectKind; reason: string };
}

const MAX_DOCUMENT_CHARS = 64 * 1024 * 1024;

/**
 * Reads a TREC `<DOC>` corpus (`<DOC><DOCNO>id</DOCNO> text </DOC>`, as the Vaswani/NPL collection
 * ships) as a stream of records; the lines of a document's body are joined with single spaces and a
 * record's line and byte offset are those of its `<DOC>` line. Malformed documents are yielded as
 * rejects with their line and reason; reading goes on.
 */
export async function* readTrecDocuments(
  path: string,
  options: TrecReadOptions = {},
): AsyncGenerator<ReadResult> {
  const registry = (options.dedupe ?? true) ? new IdRegistry() : undefined;
  const end = options.range?.end ?? Number.POSITIVE_INFINITY;
  let open: OpenDoc | undefined;
  for await (const chunk of readLineChunks(path, { ...options.range })) {
    if ('kind' in chunk) break; // only gzip streams are cut
    for (const line of chunk) {
      // A document that starts in the range is read to its end, even past the range; the next
      // thing to start belongs to the next range.
      if (!open && line.byteOffset >= end) return;
      const trimmed = line.text.trim();
      if (OPEN.test(trimmed)) {
        if (open) yield malformed(open, 'document not closed before the next <DOC>');
        if (line.byteOffset >= end) return;
        open = { line: line.number, byteOffset: line.byteOffset, body: [], size: 0 };
      } else if (CLOSE.test(trimmed)) {
        if (!open) {
          yield rejected(line.number, line.byteOffset, 'malformed-document', '</DOC> without <DOC>');
          continue;
        }
        yield checkDuplicate(registry, finish(open));
        open = undefined;
      } else if (open) {
        addLine(open, line, trimmed);
      } else if (line.tooLong) {
        yield rejected(
          line.number,
          line.byteOffset,
          'line-too-long',
          'line too long to hold in memory; dropped unread',
        );
      } else if (trimmed !== '') {
        yield rejected(line.number, line.byteOffset, 'malformed-document', 'text outside <DOC>');
      }
    }
  }
  if (open) yield malformed(open, 'file ends inside a document (no </DOC>)');
}

function addLine(doc: OpenDoc, line: Line, trimmed: string): void {
  if (line.tooLong)
    doc.problem ??= { kind: 'line-too-long', reason: `line ${line.number} too long to hold in memory` };
  else if (!line.validUtf8)
    doc.problem ??= { kind: 'invalid-utf8', reason: `invalid UTF-8 on line ${line.number}` };
  const id = DOCNO.exec(line.text)?.[1];
  if (id !== undefined && doc.id === undefined) doc.id = id;
  else if (trimmed !== '' && doc.size + trimmed.length <= MAX_DOCUMENT_CHARS) {
    doc.body.push(trimmed);
    doc.size += trimmed.length + 1;
  } else if (trimmed !== '') {
    doc.problem ??= {
      kind: 'malformed-document',
      reason: 'document longer than 64 Mi characters (a missing </DOC>?)',
    };
  }
}

function finish(doc: OpenDoc): ReadResult {
  if (doc.id === undefined || doc.id === '')
    return rejected(doc.line, doc.byteOffset, 'missing-id', 'no <DOCNO>');
  if (doc.problem !== undefined)
    return rejected(doc.line, doc.byteOffset, doc.problem.kind, doc.problem.reason);
  const text = doc.body.join(' ');
  const problem = checkText(text);
  if (problem?.kind === 'empty-text')
    return rejected(doc.line, doc.byteOffset, 'empty-text', `document ${doc.id} has no text`);
  if (problem)
    return rejected(doc.line, doc.byteOffset, problem.kind, `document ${doc.id}: ${problem.reason}`);
  return accepted({ id: doc.id, text, line: doc.line, byteOffset: doc.byteOffset });
}

function malformed(doc: OpenDoc, reason: string): ReadResult {
  return rejected(doc.line, doc.byteOffset, 'malformed-document', reason);
}
