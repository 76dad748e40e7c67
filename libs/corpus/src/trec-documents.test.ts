import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readLines } from './lines.ts';
import { readTrecDocuments } from './trec-documents.ts';

const dir = mkdtempSync(join(tmpdir(), 'embedline-corpus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readLines', () => {
  test('reports byte offsets across BOM, CRLF, multi-byte text and a last line without newline', async () => {
    const path = file('lines.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é1\r\nab\n\nlast')]));
    const lines = await collect(readLines(path));
    assert.deepEqual(
      lines.map((l) => [l.text, l.number, l.byteOffset, l.validUtf8]),
      [
        ['é1', 1, 3, true],
        ['ab', 2, 8, true],
        ['', 3, 11, true],
        ['last', 4, 12, true],
      ],
    );
  });

  test('flags invalid UTF-8 instead of silently replacing it', async () => {
    const lines = await collect(readLines(file('bad.txt', Buffer.from([0x61, 0xff, 0x0a, 0x62]))));
    assert.deepEqual(
      lines.map((l) => l.validUtf8),
      [false, true],
    );
  });
});

describe('readTrecDocuments', () => {
  test('reads the bundled Vaswani collection: 11,429 documents, no rejects', async () => {
    const results = await collect(readTrecDocuments(new URL('../../../data/vaswani/doc-text.trec', import.meta.url).pathname));
    const records = results.flatMap((r) => (r.ok ? [r.record] : []));
    assert.equal(results.length, 11429);
    assert.equal(records.length, 11429);
    assert.equal(records[0]!.id, '1');
    assert.ok(records[0]!.text.startsWith('compact memories have flexible capacities  a digital data storage system'));
  });

  test('rejects malformed documents with line and reason, and keeps the good ones', async () => {
    const path = file(
      'bad.trec',
      [
        '<DOC>', '<DOCNO>1</DOCNO>', 'good one', '</DOC>',
        '<DOC>', 'no docno here', '</DOC>',
        '<DOC>', '<DOCNO>3</DOCNO>', '</DOC>',
        '<DOC>', '<DOCNO>1</DOCNO>', 'again', '</DOC>',
        'stray text',
        '<DOC>', '<DOCNO>5</DOCNO>', 'fine', 'two lines', '</DOC>',
        '<DOC>', '<DOCNO>6</DOCNO>', 'cut off',
      ].join('\n'),
    );
    const results = await collect(readTrecDocuments(path));
    assert.deepEqual(
      results.map((r) => (r.ok ? `ok ${r.record.id}: ${r.record.text}` : `line ${r.rejected.line}: ${r.rejected.reason}`)),
      [
        'ok 1: good one',
        'line 5: no <DOCNO>',
        'line 8: document 3 has no text',
        'line 11: duplicate id 1',
        'line 15: text outside <DOC>',
        'ok 5: fine two lines',
        'line 21: file ends inside a document (no </DOC>)',
      ],
    );
  });
});
