import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  Dictionary,
  Float64,
  Int32,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { brief, collect, okRecords, readAll, rejects, tempFiles } from './testing/temp-corpus.ts';
import { embeddingText, textToEmbed } from './title-field.ts';

const { file } = tempFiles();

describe('embeddingText: what BEIR embeds, (title + " " + text).strip(), or text.strip() without a title', () => {
  test('a title joins the text with one space; the whole is stripped', () => {
    assert.equal(embeddingText('the text', 'The Title'), 'The Title the text');
    assert.equal(embeddingText(' text \n', '  Title'), 'Title  text');
    assert.equal(embeddingText('text', 'Title\n'), 'Title\n text');
  });
  test('a missing, null, empty or blank title embeds the stripped text alone', () => {
    for (const title of [undefined, null, '', '   ', '\n\t'])
      assert.equal(embeddingText('  the text \n', title), 'the text', JSON.stringify(title));
  });
});

describe('textToEmbed: what the workers and the demo embed for a passage', () => {
  test("with a title field, the payload's title + text; without one, the text as it is", () => {
    const passage = { text: ' the text ', payload: { title: 'The Title' } };
    assert.equal(textToEmbed(passage, 'title'), 'The Title  the text');
    assert.equal(textToEmbed(passage, 'heading'), 'the text', 'a field the payload lacks: no title');
    assert.equal(textToEmbed({ text: ' the text ', payload: null }, 'title'), 'the text');
    assert.equal(textToEmbed(passage, undefined), ' the text ');
  });
});

describe('title field: JSONL', () => {
  const lines = [
    { _id: 'd1', title: 'Title one', text: 'first' },
    { _id: 'd2', title: '', text: 'no title' },
    { _id: 'd3', text: 'title key absent' },
    { _id: 'd4', title: null, text: 'title null' },
    { _id: 'd5', title: 42, text: 'number title' },
    { _id: 'd6', title: ['a'], text: 'array title' },
    { _id: 'd7', title: { t: 1 }, text: 'object title' },
    { _id: 'd8', title: true, text: 'boolean title' },
    { _id: 'd5', title: 'Now a string', text: 'same id as a rejected record' },
  ];
  const path = file('titles.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  /** A result without its byte offset. */
  const lineOnly = (result: Parameters<typeof brief>[0]) => brief(result).replace(/:\d+$/, '');
  const startOfLine6 = lines.slice(0, 5).reduce((n, l) => n + JSON.stringify(l).length + 1, 0);

  test('a title that is there and not a string is a bad-title reject naming the field, its type and the id', async () => {
    const results = await readAll(path, { titleField: 'title' });
    assert.deepEqual(results.map(lineOnly), [
      'ok d1 "first" @1',
      'ok d2 "no title" @2',
      'ok d3 "title key absent" @3',
      'ok d4 "title null" @4',
      'bad-title @5',
      'bad-title @6',
      'bad-title @7',
      'bad-title @8',
      // Checked before duplicates, as the text is: the rejected d5 does not make this one a duplicate.
      'ok d5 "same id as a rejected record" @9',
    ]);
    assert.deepEqual(
      rejects(results).map((r) => r.reason),
      [
        'title "title" is a number, not a string: "42" (id d5)',
        'title "title" is an array, not a string (id d6)',
        'title "title" is an object, not a string (id d7)',
        'title "title" is a boolean, not a string: "true" (id d8)',
      ],
    );
    // The stored text stays the passage text; the title stays in the payload.
    assert.deepEqual(okRecords(results)[0]!.payload, { title: 'Title one' });
    assert.deepEqual(okRecords(results)[3]!.payload, { title: null });
  });

  test('without a title field nothing changes: a number title is payload like any field', async () => {
    const results = await readAll(path);
    assert.equal(rejects(results).length, 1); // d5 again: a duplicate
    assert.equal(rejects(results)[0]!.kind, 'duplicate-id');
  });

  test('.jsonl.gz and byte ranges (how a worker re-reads a shard) reject the same records', async () => {
    const gz = file('titles.jsonl.gz', gzipSync(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n'))));
    const whole = (await readAll(path, { titleField: 'title' })).map(brief);
    assert.deepEqual((await readAll(gz, { titleField: 'title' })).map(brief), whole);
    const corpus = await openCorpus(path, { titleField: 'title', dedupe: false });
    const first = await collect(corpus.read({ start: 0, end: startOfLine6 }));
    const rest = await collect(corpus.read({ start: startOfLine6, end: 1_000_000, firstLine: 6 }));
    assert.equal(first.length, 5);
    assert.deepEqual([...first, ...rest].map(brief), whole);
  });
});

describe('title field: formats without fields, and names that cannot be a title', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'TSV',
      'c.tsv',
      '1\ttext\n',
      /c\.tsv: a tsv corpus has no fields, so it has no title field "title" \(TSV lines are id<TAB>text\); a title field needs a JSONL, Arrow or Parquet corpus$/,
    ],
    ['TSV .gz', 'c.tsv.gz', '', /c\.tsv\.gz: a tsv\.gz corpus has no fields/],
    [
      'TREC',
      'c.trec',
      '<DOC><DOCNO>1</DOCNO>x</DOC>\n',
      /c\.trec: a trec corpus has no fields, so it has no title field "title" \(TREC <DOC> documents are read as id and text only\)/,
    ],
  ];
  for (const [name, fileName, content, message] of cases) {
    test(`${name}: refused when opened, naming the corpus`, async () => {
      const path = file(fileName, content);
      await assert.rejects(openCorpus(path, { titleField: 'title' }), (error: Error) => {
        assert.ok(error instanceof CorpusError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  test('the id or text field, or a blank name, is refused', async () => {
    const path = file('names.jsonl', '{"id": 1, "text": "x"}\n');
    for (const name of ['id', '_id', 'text', 'contents'])
      await assert.rejects(
        openCorpus(path, { titleField: name }),
        new RegExp(`names\\.jsonl: title field "${name}" is one of the fields read as the id or the text`),
      );
    await assert.rejects(openCorpus(path, { titleField: ' ' }), /names\.jsonl: title field " " is blank/);
  });
});

describe('title field: Arrow and Parquet', () => {
  const arrow = (columns: Record<string, Vector>) => Buffer.from(tableToIPC(new Table(columns), 'file'));
  const utf8 = (values: readonly (string | null)[]) => vectorFromArray(values, new Utf8());

  test('Arrow: a null title is none; the title stays in the payload', async () => {
    const path = file(
      'titles.arrow',
      arrow({ _id: utf8(['a', 'b']), title: utf8(['A title', null]), text: utf8(['one', 'two']) }),
    );
    const records = okRecords(await readAll(path, { titleField: 'title' }));
    assert.deepEqual(
      records.map((r) => [r.id, r.text, r.payload]),
      [
        ['a', 'one', { title: 'A title' }],
        ['b', 'two', { title: null }],
      ],
    );
  });

  test('Arrow: no such column, or not a string column, is refused when opened', async () => {
    const missing = file(
      'no-title.arrow',
      arrow({ id: vectorFromArray([1], new Int32()), text: utf8(['x']), heading: utf8(['h']) }),
    );
    await assert.rejects(
      openCorpus(missing, { titleField: 'title' }),
      /no-title\.arrow: no "title" column for the title field \(columns: id, text, heading\)$/,
    );
    const numeric = file(
      'num-title.arrow',
      arrow({
        id: vectorFromArray([1], new Int32()),
        text: utf8(['x']),
        title: vectorFromArray([1.5], new Float64()),
      }),
    );
    await assert.rejects(
      openCorpus(numeric, { titleField: 'title' }),
      /num-title\.arrow: title column "title" is Float64, expected a string \(Utf8\) column$/,
    );
    // Without the option the same file reads as before.
    assert.equal(okRecords(await readAll(numeric)).length, 1);
  });

  const bytes = (s: string) => new TextEncoder().encode(s);
  const parquet = (title: { data: unknown[]; type: 'BYTE_ARRAY' | 'DOUBLE' }) =>
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: '_id', data: ['a', 'b', 'c'], type: 'STRING' },
          { name: 'title', ...title } as never,
          { name: 'text', data: ['one', 'two', 'three'], type: 'STRING' },
        ],
      }),
    );

  test('Parquet: a null title is none; a title that is not UTF-8 is an invalid-utf8 reject', async () => {
    const path = file(
      'titles.parquet',
      parquet({ data: [bytes('A title'), null, Uint8Array.from([0xc3, 0x28])], type: 'BYTE_ARRAY' }),
    );
    const results = await readAll(path, { titleField: 'title' });
    assert.deepEqual(results.map(brief), ['ok a "one" @1:0', 'ok b "two" @2:0', 'invalid-utf8 @3:0']);
    assert.match(rejects(results)[0]!.reason, /^title "title" is not valid UTF-8: ".*" \(id c\)$/);
    assert.deepEqual(
      okRecords(results).map((r) => r.payload),
      [{ title: 'A title' }, { title: null }],
    );
  });

  test('string values are kept as written in every format: a leading U+FEFF too (titles, payload, dictionaries)', async () => {
    // apache-arrow's own getter decodes with TextDecoder, which drops one leading U+FEFF: the Arrow reader reads bytes.
    const titles = ['\uFEFFBOM title', '\uFEFF\uFEFFtwo BOMs', 'plain'];
    const expected = titles.map((title) => ({ title, note: title }));
    const dictionary = () => vectorFromArray(titles, new Dictionary(new Utf8(), new Int32()));
    const arrowFile = (name: string, title: Vector, note: Vector) =>
      file(name, arrow({ _id: utf8(['a', 'b', 'c']), title, note, text: utf8(['one', 'two', 'three']) }));
    const payloads = async (path: string) =>
      okRecords(await readAll(path, { titleField: 'title' })).map((r) => r.payload);
    assert.deepEqual(await payloads(arrowFile('bom.arrow', utf8(titles), utf8(titles))), expected);
    assert.deepEqual(await payloads(arrowFile('bom-dictionary.arrow', dictionary(), dictionary())), expected);
    const parquetPath = file('bom.parquet', parquet({ data: titles.map(bytes), type: 'BYTE_ARRAY' }));
    assert.deepEqual(
      await payloads(parquetPath),
      titles.map((title) => ({ title })),
    );
  });

  test('Parquet: no such column, or not a string column, is refused when opened', async () => {
    const numeric = file('num-title.parquet', parquet({ data: [1, 2, 3], type: 'DOUBLE' }));
    await assert.rejects(
      openCorpus(numeric, { titleField: 'title' }),
      /num-title\.parquet: title column "title" is DOUBLE, expected a string \(BYTE_ARRAY\) column$/,
    );
    await assert.rejects(
      openCorpus(numeric, { titleField: 'heading' }),
      /num-title\.parquet: no "heading" column for the title field \(columns: _id, title, text\)$/,
    );
  });
});
