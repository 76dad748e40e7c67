import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { brief, okRecords, readAll, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();

function parquet(columns: ColumnSource[], options: { rowGroupSize?: number; codec?: 'GZIP' } = {}): Buffer {
  return Buffer.from(
    parquetWriteBuffer({
      columnData: columns,
      rowGroupSize: options.rowGroupSize,
      codec: options.codec,
      compressors: options.codec === 'GZIP' ? { GZIP: (input) => gzipSync(input) } : undefined,
    }),
  );
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => BigInt(i));
const texts = (count: number) => Array.from({ length: count }, (_, i) => `passage ${i}`);

describe('Parquet records', () => {
  test('reads row group by row group: line = row number, byteOffset = row group index; INT64 ids become strings', async () => {
    const corpus = await openCorpus(
      file(
        'groups.parquet',
        parquet(
          [
            { name: 'id', data: ids(7), type: 'INT64' },
            { name: 'text', data: texts(7), type: 'STRING' },
          ],
          { rowGroupSize: 3 },
        ),
      ),
    );
    assert.equal(corpus.format, 'parquet');
    assert.equal(corpus.seekable, false);
    const results = [];
    for await (const result of corpus.read()) results.push(result);
    assert.deepEqual(results.map(brief), [
      'ok 0 "passage 0" @1:0',
      'ok 1 "passage 1" @2:0',
      'ok 2 "passage 2" @3:0',
      'ok 3 "passage 3" @4:1',
      'ok 4 "passage 4" @5:1',
      'ok 5 "passage 5" @6:1',
      'ok 6 "passage 6" @7:2',
    ]);
  });

  test('other columns become a JSON-safe payload; string ids; gzip-compressed pages', async () => {
    const path = file(
      'payload.parquet',
      parquet(
        [
          { name: 'id', data: ['doc-a', 'doc-b'], type: 'STRING' },
          { name: 'title', data: ['A', null], type: 'STRING' },
          { name: 'text', data: ['alpha', 'beta'], type: 'STRING' },
          { name: 'clicks', data: [3n, 2n ** 62n], type: 'INT64' },
          { name: 'score', data: [0.25, 1.5], type: 'DOUBLE' },
          { name: 'meta', data: [{ lang: 'en' }, { lang: 'fr' }], type: 'JSON' },
        ],
        { codec: 'GZIP' },
      ),
    );
    assert.deepEqual(okRecords(await readAll(path)), [
      {
        id: 'doc-a',
        text: 'alpha',
        payload: { title: 'A', clicks: 3, score: 0.25, meta: { lang: 'en' } },
        line: 1,
        byteOffset: 0,
      },
      {
        id: 'doc-b',
        text: 'beta',
        payload: { title: null, clicks: '4611686018427387904', score: 1.5, meta: { lang: 'fr' } },
        line: 2,
        byteOffset: 0,
      },
    ]);
  });

  test('a file with only id and text has a null payload', async () => {
    const records = okRecords(
      await readAll(
        file(
          'bare.parquet',
          parquet([
            { name: 'id', data: [1, 2], type: 'INT32' },
            { name: 'text', data: ['a', 'b'], type: 'STRING' },
          ]),
        ),
      ),
    );
    assert.deepEqual(
      records.map((r) => [r.id, r.payload]),
      [
        ['1', null],
        ['2', null],
      ],
    );
  });

  test("BEIR's _id and Pyserini's contents columns stand in for id and text; where both names are, ours win", async () => {
    const beir = file(
      'beir.parquet',
      parquet([
        { name: '_id', data: ['d1', 'd2'], type: 'STRING' },
        { name: 'title', data: ['', 'T'], type: 'STRING' },
        { name: 'text', data: ['a', 'b'], type: 'STRING' },
      ]),
    );
    assert.deepEqual(
      okRecords(await readAll(beir)).map((r) => [r.id, r.payload]),
      [
        ['d1', { title: '' }],
        ['d2', { title: 'T' }],
      ],
    );
    const both = file(
      'both.parquet',
      parquet([
        { name: 'id', data: [7], type: 'INT32' },
        { name: '_id', data: ['d1'], type: 'STRING' },
        { name: 'contents', data: ['theirs'], type: 'STRING' },
        { name: 'text', data: ['ours'], type: 'STRING' },
      ]),
    );
    assert.deepEqual(
      okRecords(await readAll(both)).map((r) => [r.id, r.text, r.payload]),
      [['7', 'ours', { _id: 'd1', contents: 'theirs' }]],
    );
    const pyserini = file(
      'pyserini.parquet',
      parquet([
        { name: '_id', data: ['d1'], type: 'STRING' },
        { name: 'contents', data: ['c'], type: 'STRING' },
      ]),
    );
    assert.deepEqual(
      okRecords(await readAll(pyserini)).map((r) => [r.id, r.text, r.payload]),
      [['d1', 'c', null]],
    );
  });

  test('row rejects: null id or text, empty text, NUL, invalid UTF-8, float ids, duplicates', async () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const path = file(
      'bad.parquet',
      parquet(
        [
          { name: 'id', data: [1, null, 3, 4, 5, 6, 1.5, NaN, 1], type: 'DOUBLE' },
          {
            name: 'text',
            data: [
              utf8('good'),
              utf8('no id'),
              null,
              utf8(' '),
              utf8('a\0b'),
              Uint8Array.from([0xc3, 0x28]),
              utf8('x'),
              utf8('y'),
              utf8('again'),
            ],
            type: 'BYTE_ARRAY',
          },
        ],
        { rowGroupSize: 4 },
      ),
    );
    const results = await readAll(path);
    assert.deepEqual(results.map(brief), [
      'ok 1 "good" @1:0',
      'missing-id @2:0',
      'missing-text @3:0',
      'empty-text @4:0',
      'nul-byte @5:1',
      'invalid-utf8 @6:1',
      'bad-id @7:1',
      'missing-id @8:1',
      'duplicate-id @9:2',
    ]);
    assert.equal(results[8]!.ok ? '' : results[8]!.rejected.reason, 'duplicate id 1 (first seen on row 1)');
  });

  test('a row group that cannot be decoded is rejected row by row (bad-row); the groups after it are read', async () => {
    const bytes = parquet(
      [
        { name: 'id', data: ids(9), type: 'INT64' },
        { name: 'text', data: texts(9), type: 'STRING' },
      ],
      { rowGroupSize: 3 },
    );
    const metadata = parquetMetadata(new Uint8Array(bytes).buffer);
    const chunk = metadata.row_groups[1]!.columns[1]!.meta_data!;
    const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
    bytes.fill(0xff, start, start + Number(chunk.total_compressed_size));
    const results = await readAll(file('damaged.parquet', bytes));
    assert.deepEqual(results.map(brief), [
      'ok 0 "passage 0" @1:0',
      'ok 1 "passage 1" @2:0',
      'ok 2 "passage 2" @3:0',
      'bad-row @4:1',
      'bad-row @5:1',
      'bad-row @6:1',
      'ok 6 "passage 6" @7:2',
      'ok 7 "passage 7" @8:2',
      'ok 8 "passage 8" @9:2',
    ]);
    assert.match(results[3]!.ok ? '' : results[3]!.rejected.reason, /^row group 1 could not be decoded/);
  });

  test('whole-file problems are CorpusErrors naming the file: no id or text column, wrong types, not Parquet', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'no-id.parquet',
        parquet([
          { name: 'pid', data: [1], type: 'INT32' },
          { name: 'text', data: ['a'], type: 'STRING' },
        ]),
        /no "id" or "_id" column \(columns: pid, text\)/,
      ],
      [
        'no-text.parquet',
        parquet([{ name: 'id', data: [1], type: 'INT32' }]),
        /no "text" or "contents" column \(columns: id\)/,
      ],
      [
        'int-text.parquet',
        parquet([
          { name: 'id', data: [1], type: 'INT32' },
          { name: 'text', data: [1], type: 'INT32' },
        ]),
        /column "text" is INT32, expected a string/,
      ],
      [
        'bool-id.parquet',
        parquet([
          { name: 'id', data: [true], type: 'BOOLEAN' },
          { name: 'text', data: ['a'], type: 'STRING' },
        ]),
        /column "id" is BOOLEAN/,
      ],
      ['garbage.parquet', Buffer.from('PAR1 this is not parquet PAR1'), /not a readable Parquet file/],
      ['empty.parquet', Buffer.alloc(0), /not a readable Parquet file/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = file(name, bytes);
      await assert.rejects(openCorpus(path), (error: unknown) => {
        assert.ok(error instanceof CorpusError, name);
        assert.ok(error.message.startsWith(`${path}: `), error.message);
        assert.match(error.message, pattern);
        return true;
      });
    }
  });
});
