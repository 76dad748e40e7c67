import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Bool,
  DateMillisecond,
  Dictionary,
  Float64,
  Int32,
  Int64,
  List,
  Field,
  makeData,
  makeVector,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { brief, okRecords, readAll, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();

/** A table of several record batches (one per group of rows), the columns given per group. */
function batches(groups: readonly Record<string, Vector>[]): Table {
  return groups.map((columns) => new Table(columns)).reduce((all, next) => all.concat(next));
}

const utf8 = (values: readonly (string | null)[]) => vectorFromArray(values, new Utf8());
const int32 = (values: readonly (number | null)[]) => vectorFromArray(values, new Int32());

describe('Arrow IPC records', () => {
  const table = batches([
    { id: int32([1, 2, 3]), text: utf8(['one', 'two', 'three']) },
    { id: int32([4, 5]), text: utf8(['four', 'five']) },
  ]);
  const expected = [
    'ok 1 "one" @1:0',
    'ok 2 "two" @2:0',
    'ok 3 "three" @3:0',
    'ok 4 "four" @4:1',
    'ok 5 "five" @5:1',
  ];

  test('reads an IPC file and an IPC stream batch by batch: line = row number, byteOffset = batch index', async () => {
    assert.equal(table.batches.length, 2);
    for (const [name, kind] of [
      ['file.arrow', 'file'],
      ['file.feather', 'file'],
      ['stream.arrows', 'stream'],
      ['stream-named.arrow', 'stream'],
    ] as const) {
      const corpus = await openCorpus(file(name, tableToIPC(table, kind)));
      assert.equal(corpus.format, 'arrow');
      assert.equal(corpus.seekable, false);
      const results = [];
      for await (const result of corpus.read()) results.push(result);
      assert.deepEqual(results.map(brief), expected, name);
    }
  });

  test('other columns become a JSON-safe payload; int64 and string ids become strings', async () => {
    const path = file(
      'payload.arrow',
      tableToIPC(
        new Table({
          id: vectorFromArray([10n, 2n ** 60n], new Int64()),
          text: utf8(['a', 'b']),
          score: vectorFromArray([0.5, null], new Float64()),
          big: vectorFromArray([1n, 2n ** 62n], new Int64()),
          flag: vectorFromArray([true, false], new Bool()),
          when: vectorFromArray([new Date(Date.UTC(2024, 0, 2)), null], new DateMillisecond()),
          tags: vectorFromArray([['x', 'y'], []], new List(new Field('item', new Utf8(), true))),
        }),
      ),
    );
    const records = okRecords(await readAll(path));
    assert.deepEqual(
      records.map((r) => [r.id, r.payload]),
      [
        ['10', { score: 0.5, big: 1, flag: true, when: '2024-01-02T00:00:00.000Z', tags: ['x', 'y'] }],
        [
          '1152921504606846976',
          { score: null, big: '4611686018427387904', flag: false, when: null, tags: [] },
        ],
      ],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(records[0]!.payload)), records[0]!.payload);
  });

  test("BEIR's _id and Pyserini's contents columns stand in for id and text; where both names are, ours win", async () => {
    const beir = file(
      'beir.arrow',
      tableToIPC(new Table({ _id: utf8(['d1']), title: utf8(['T']), text: utf8(['a']) })),
    );
    assert.deepEqual(
      okRecords(await readAll(beir)).map((r) => [r.id, r.payload]),
      [['d1', { title: 'T' }]],
    );
    const both = file(
      'both.arrow',
      tableToIPC(new Table({ id: int32([7]), _id: utf8(['d1']), text: utf8(['a']) })),
    );
    assert.deepEqual(
      okRecords(await readAll(both)).map((r) => [r.id, r.payload]),
      [['7', { _id: 'd1' }]],
    );
    const pyserini = file('pyserini.arrow', tableToIPC(new Table({ id: int32([1]), contents: utf8(['c']) })));
    assert.deepEqual(
      okRecords(await readAll(pyserini)).map((r) => [r.id, r.text, r.payload]),
      [['1', 'c', null]],
    );
    const boolId = file(
      'bool-beir-id.arrow',
      tableToIPC(new Table({ _id: vectorFromArray([true], new Bool()), text: utf8(['a']) })),
    );
    await assert.rejects(openCorpus(boolId), /column "_id" is Bool, expected a string or integer column/);
  });

  test('row rejects: null id or text, empty text, NUL, invalid UTF-8, float ids, duplicates (naming the first row)', async () => {
    const badUtf8 = makeVector(
      makeData({
        type: new Utf8(),
        length: 2,
        nullCount: 0,
        valueOffsets: Int32Array.from([0, 2, 4]),
        data: Uint8Array.from([0x6f, 0x6b, 0xc3, 0x28]),
      }),
    );
    const path = file(
      'bad.arrow',
      tableToIPC(
        batches([
          {
            id: vectorFromArray([1, null, 3, 4, 5], new Float64()),
            text: utf8(['good', 'no id', null, '  ', 'a\0b']),
          },
          { id: vectorFromArray([6, 7], new Float64()), text: badUtf8 },
          { id: vectorFromArray([1.5, NaN, 1], new Float64()), text: utf8(['x', 'y', 'again']) },
        ]),
      ),
    );
    const results = await readAll(path);
    assert.deepEqual(results.map(brief), [
      'ok 1 "good" @1:0',
      'missing-id @2:0',
      'missing-text @3:0',
      'empty-text @4:0',
      'nul-byte @5:0',
      'ok 6 "ok" @6:1',
      'invalid-utf8 @7:1',
      'bad-id @8:2',
      'missing-id @9:2',
      'duplicate-id @10:2',
    ]);
    assert.equal(results[9]!.ok ? '' : results[9]!.rejected.reason, 'duplicate id 1 (first seen on row 1)');
  });

  test('dictionary-encoded ids and texts are read from their bytes, as plain ones: as written, invalid UTF-8 rejected', async () => {
    // Dictionary entries: "\uFEFFbom", "ok", and two bytes that are not UTF-8; the keys point at them, null included.
    const entries = makeVector(
      makeData({
        type: new Utf8(),
        length: 3,
        nullCount: 0,
        valueOffsets: Int32Array.from([0, 6, 8, 10]),
        data: Uint8Array.from([0xef, 0xbb, 0xbf, 0x62, 0x6f, 0x6d, 0x6f, 0x6b, 0xc3, 0x28]),
      }),
    );
    const type = new Dictionary(new Utf8(), new Int32());
    const keyed = (keys: readonly (number | null)[]) =>
      makeVector(
        makeData({
          type,
          length: keys.length,
          nullCount: keys.filter((k) => k === null).length,
          nullBitmap: Uint8Array.from([
            keys.reduce<number>((bits, k, i) => (k === null ? bits : bits | (1 << i)), 0),
          ]),
          data: Int32Array.from(keys.map((k) => k ?? 0)),
          dictionary: entries,
        }),
      );
    const path = file(
      'dictionary.arrow',
      tableToIPC(
        new Table({ id: keyed([1, 0, 0, 1]), text: keyed([0, 1, 2, null]), tag: keyed([0, 0, 1, 1]) }),
      ),
    );
    const results = await readAll(path);
    assert.deepEqual(results.map(brief), [
      'ok ok "\uFEFFbom" @1:0',
      'ok \uFEFFbom "ok" @2:0',
      'invalid-utf8 @3:0',
      'missing-text @4:0',
    ]);
    assert.deepEqual(
      okRecords(results).map((r) => r.payload),
      [{ tag: '\uFEFFbom' }, { tag: '\uFEFFbom' }],
    );
  });

  test('a truncated IPC stream yields the complete batches, then one bad-batch reject', async () => {
    const bytes = tableToIPC(table, 'stream');
    const results = await readAll(file('cut.arrows', bytes.subarray(0, bytes.length - 40)));
    assert.deepEqual(results.map(brief), [...expected.slice(0, 3), 'bad-batch @4:1']);
  });

  test('whole-file problems are CorpusErrors naming the file: no id or text column, wrong column types, not Arrow', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'no-id.arrow',
        tableToIPC(new Table({ pid: int32([1]), text: utf8(['a']) })),
        /no "id" or "_id" column \(columns: pid, text\)/,
      ],
      [
        'no-text.arrows',
        tableToIPC(new Table({ id: int32([1]), body: utf8(['a']) }), 'stream'),
        /no "text" or "contents" column \(columns: id, /,
      ],
      [
        'int-text.arrow',
        tableToIPC(new Table({ id: int32([1]), text: int32([1]) })),
        /column "text" is Int32, expected a string/,
      ],
      [
        'bool-id.arrow',
        tableToIPC(new Table({ id: vectorFromArray([true], new Bool()), text: utf8(['a']) })),
        /column "id" is Bool/,
      ],
      [
        'garbage.arrow',
        Buffer.from('this is not an arrow file at all'),
        /not a readable Arrow IPC file or stream/,
      ],
      ['empty.arrow', Buffer.alloc(0), /not a readable Arrow IPC file or stream/],
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
