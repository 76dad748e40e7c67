import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
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

describe('readTrecDocuments', () => {
  test('reads the bundled Vaswani collection: 11,429 documents, no rejects', async () => {
    const results = await collect(
      readTrecDocuments(new URL('../../../data/vaswani/doc-text.trec', import.meta.url).pathname),
    );
    const records = results.flatMap((r) => (r.ok ? [r.record] : []));
    assert.equal(results.length, 11429);
    assert.equal(records.length, 11429);
    assert.equal(records[0]!.id, '1');
    assert.ok(
      records[0]!.text.startsWith('compact memories have flexible capacities  a digital data storage system'),
    );
  });

  test('rejects malformed documents with line and reason, and keeps the good ones', async () => {
    const path = file(
      'bad.trec',
      // prettier-ignore
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
      results.map((r) =>
        r.ok ? `ok ${r.record.id}: ${r.record.text}` : `line ${r.rejected.line}: ${r.rejected.reason}`,
      ),
      [
        'ok 1: good one',
        'line 5: no <DOCNO>',
        'line 8: document 3 has no text',
        'line 11: duplicate id 1 (first seen on line 1)',
        'line 15: text outside <DOC>',
        'ok 5: fine two lines',
        'line 21: file ends inside a document (no </DOC>)',
      ],
    );
  });
});

describe('readTrecDocuments reject kinds', () => {
  test('each problem has its kind; offsets are those of the <DOC> line; NUL and bad UTF-8 are caught', async () => {
    const path = file(
      'kinds.trec',
      Buffer.concat([
        Buffer.from(
          [
            '<DOC>',
            '<DOCNO>1</DOCNO>',
            'good',
            '</DOC>',
            '<DOC>',
            '<DOCNO>2</DOCNO>',
            'has a \0 NUL',
            '</DOC>',
            '<DOC>',
            '<DOCNO>3</DOCNO>',
            '',
          ].join('\n'),
        ),
        Buffer.from([0xc3, 0x28, 0x0a]),
        Buffer.from(
          [
            '</DOC>',
            '<DOC>',
            'no id',
            '</DOC>',
            '</DOC>',
            '<DOC>',
            '<DOCNO>1</DOCNO>',
            'dup',
            '</DOC>',
            '<DOC>',
            '<DOCNO>4</DOCNO>',
            'x',
          ].join('\n'),
        ),
      ]),
    );
    const results = await collect(readTrecDocuments(path));
    assert.deepEqual(
      results.map((r) =>
        r.ok
          ? `ok ${r.record.id} @${r.record.line}:${r.record.byteOffset}`
          : `${r.rejected.kind} @${r.rejected.line}:${r.rejected.byteOffset}`,
      ),
      [
        'ok 1 @1:0',
        'nul-byte @5:35',
        'invalid-utf8 @9:77',
        'missing-id @13:110',
        'malformed-document @16:129',
        'duplicate-id @17:136',
        'malformed-document @21:170',
      ],
    );
  });

  test('dedupe: false lets repeated DOCNOs through', async () => {
    const path = file(
      'dupes.trec',
      '<DOC>\n<DOCNO>1</DOCNO>\na\n</DOC>\n<DOC>\n<DOCNO>1</DOCNO>\nb\n</DOC>\n',
    );
    const results = await collect(readTrecDocuments(path, { dedupe: false }));
    assert.deepEqual(
      results.map((r) => r.ok && r.record.text),
      ['a', 'b'],
    );
  });
});
