import type { ReadResult } from './corpus-record.ts';
import { readLines } from './lines.ts';

const DOCNO = /^\s*<DOCNO>\s*(.*?)\s*<\/DOCNO>\s*$/i;

/**
 * Reads a TREC `<DOC>` corpus (`<DOC><DOCNO>id</DOCNO> text </DOC>`, as the Vaswani/NPL collection
 * ships) as a stream of records; the lines of a document's body are joined with single spaces.
 * Malformed documents are yielded as rejects with their line and reason; reading goes on.
 */
export async function* readTrecDocuments(path: string): AsyncGenerator<ReadResult> {
  const seen = new Set<string>();
  let open: { line: number; byteOffset: number; id?: string; body: string[]; problem?: string } | undefined;
  for await (const line of readLines(path)) {
    const trimmed = line.text.trim();
    if (/^<DOC>$/i.test(trimmed)) {
      if (open) yield reject(open, 'document not closed before the next <DOC>');
      open = { line: line.number, byteOffset: line.byteOffset, body: [] };
    } else if (/^<\/DOC>$/i.test(trimmed)) {
      if (!open) {
        yield { ok: false, rejected: { line: line.number, byteOffset: line.byteOffset, reason: '</DOC> without <DOC>' } };
        continue;
      }
      yield finish(open, seen);
      open = undefined;
    } else if (open) {
      const id = DOCNO.exec(line.text)?.[1];
      if (id !== undefined && open.id === undefined) open.id = id;
      else if (trimmed !== '') open.body.push(trimmed);
      if (!line.validUtf8) open.problem ??= `invalid UTF-8 on line ${line.number}`;
    } else if (trimmed !== '') {
      yield { ok: false, rejected: { line: line.number, byteOffset: line.byteOffset, reason: 'text outside <DOC>' } };
    }
  }
  if (open) yield reject(open, 'file ends inside a document (no </DOC>)');
}

type OpenDoc = { line: number; byteOffset: number; id?: string; body: string[]; problem?: string };

function finish(doc: OpenDoc, seen: Set<string>): ReadResult {
  if (doc.id === undefined || doc.id === '') return reject(doc, 'no <DOCNO>');
  if (doc.problem !== undefined) return reject(doc, doc.problem);
  const text = doc.body.join(' ');
  if (text === '') return reject(doc, `document ${doc.id} has no text`);
  if (seen.has(doc.id)) return reject(doc, `duplicate id ${doc.id}`);
  seen.add(doc.id);
  return { ok: true, record: { id: doc.id, text, line: doc.line, byteOffset: doc.byteOffset } };
}

function reject(doc: OpenDoc, reason: string): ReadResult {
  return { ok: false, rejected: { line: doc.line, byteOffset: doc.byteOffset, reason } };
}
