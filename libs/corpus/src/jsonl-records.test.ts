import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { brief, okRecords, readAll, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();
let serial = 0;

/**
 * Reads `lines` (joined with LF) as JSONL, and as .jsonl.gz and .ndjson, checking that all agree
 * and that every result's byte offset is where its line starts; returns `brief`s without offsets.
 */
async function readJsonl(lines: readonly (string | Buffer)[]): Promise<string[]> {
  const buffers = lines.map((l) => Buffer.from(l));
  const bytes = Buffer.concat(buffers.flatMap((b, i) => [b, Buffer.from(i < lines.length - 1 ? '\n' : '')]));
  const starts = buffers.map((_, i) => buffers.slice(0, i).reduce((n, b) => n + b.length + 1, 0));
  const name = `c${serial++}`;
  const results = await readAll(file(`${name}.jsonl`, bytes));
  const plain = results.map(brief);
  assert.deepEqual((await readAll(file(`${name}.jsonl.gz`, gzipSync(bytes)))).map(brief), plain, '.jsonl.gz');
  assert.deepEqual((await readAll(file(`${name}.ndjson`, bytes))).map(brief), plain, '.ndjson');
  for (const r of results) {
    const { line, byteOffset } = r.ok ? r.record : r.rejected;
    const bom = line === 1 && buffers[0]![0] === 0xef ? 3 : 0;
    assert.equal(byteOffset, starts[line - 1]! + bom, `offset of line ${line}`);
  }
  return plain.map((b) => b.replace(/:\d+$/, ''));
}

const good = (id: string | number, text = 'good') => JSON.stringify({ id, text });

describe('JSONL records', () => {
  test('reads id and text; other fields become the payload (null when none); integer ids become strings', async () => {
    const path = file(
      'payload.jsonl',
      [
        JSON.stringify({ id: 'doc-1', text: 'first', title: 'T', meta: { lang: 'en', tags: ['a'] } }),
        JSON.stringify({ text: 'second', id: 2 }),
        JSON.stringify({ id: -0, text: 'minus zero' }),
      ].join('\n'),
    );
    const records = okRecords(await readAll(path));
    assert.deepEqual(records, [
      {
        id: 'doc-1',
        text: 'first',
        payload: { title: 'T', meta: { lang: 'en', tags: ['a'] } },
        line: 1,
        byteOffset: 0,
      },
      { id: '2', text: 'second', payload: null, line: 2, byteOffset: 76 },
      { id: '0', text: 'minus zero', payload: null, line: 3, byteOffset: 101 },
    ]);
  });

  test("other conventions: BEIR's _id, Pyserini's contents; where both names are there, ours win and theirs is payload", async () => {
    const path = file(
      'conventions.jsonl',
      [
        JSON.stringify({ _id: 'd1', title: '', text: 'beir' }),
        JSON.stringify({ id: 2, contents: 'pyserini' }),
        JSON.stringify({ _id: 3, contents: 'both conventions' }),
        JSON.stringify({ id: 'x', _id: 'd4', text: 'ours', contents: 'theirs' }),
        JSON.stringify({ title: 'T', text: 'no id at all' }),
        JSON.stringify({ id: 6, body: 'no text at all' }),
        JSON.stringify({ id: 7, contents: null }),
      ].join('\n'),
    );
    const results = await readAll(path);
    assert.deepEqual(
      okRecords(results).map((r) => [r.id, r.text, r.payload]),
      [
        ['d1', 'beir', { title: '' }],
        ['2', 'pyserini', null],
        ['3', 'both conventions', null],
        ['x', 'ours', { _id: 'd4', contents: 'theirs' }],
      ],
    );
    assert.deepEqual(
      results.flatMap((r) => (r.ok ? [] : [[r.rejected.kind, r.rejected.reason]])),
      [
        ['missing-id', 'no "id" or "_id"'],
        ['missing-text', 'no "text" or "contents" (id 6)'],
        ['missing-text', '"contents" is null (id 7)'],
      ],
    );
  });

  test('invalid-json: a line that does not parse', async () => {
    assert.deepEqual(await readJsonl([good(1), '{"id": 2, "text": "cut', "{'id': 3}", good(4)]), [
      'ok 1 "good" @1',
      'invalid-json @2',
      'invalid-json @3',
      'ok 4 "good" @4',
    ]);
  });

  test('not-an-object: JSON that is an array, string, number or null', async () => {
    assert.deepEqual(await readJsonl(['[1, "a"]', '"text"', '42', 'null', good(1)]), [
      'not-an-object @1',
      'not-an-object @2',
      'not-an-object @3',
      'not-an-object @4',
      'ok 1 "good" @5',
    ]);
  });

  test('missing-id: no id, or a null id', async () => {
    assert.deepEqual(await readJsonl(['{"text": "no id"}', '{"id": null, "text": "null id"}', good(1)]), [
      'missing-id @1',
      'missing-id @2',
      'ok 1 "good" @3',
    ]);
  });

  test('bad-id: a fractional, boolean, object or blank id', async () => {
    const lines = [
      '{"id": 1.5, "text": "x"}',
      '{"id": true, "text": "x"}',
      '{"id": {"a": 1}, "text": "x"}',
      '{"id": " ", "text": "x"}',
      good(1),
    ];
    const results = await readJsonl(lines);
    assert.deepEqual(
      results.map((r) => r.split(' @')[0]),
      ['bad-id', 'bad-id', 'bad-id', 'bad-id', 'ok 1 "good"'],
    );
  });

  test('id-out-of-range: an integer id that JSON parsing cannot hold exactly', async () => {
    assert.deepEqual(
      await readJsonl([
        '{"id": 9007199254740993, "text": "x"}',
        '{"id": 9007199254740991, "text": "max"}',
        '{"id": "9007199254740993", "text": "as a string"}',
      ]),
      ['id-out-of-range @1', 'ok 9007199254740991 "max" @2', 'ok 9007199254740993 "as a string" @3'],
    );
  });

  test('missing-text: no text, null text, or text that is not a string', async () => {
    assert.deepEqual(
      await readJsonl([
        '{"id": 1}',
        '{"id": 2, "text": null}',
        '{"id": 3, "text": 42}',
        '{"id": 4, "text": ["a"]}',
        good(5),
      ]),
      ['missing-text @1', 'missing-text @2', 'missing-text @3', 'missing-text @4', 'ok 5 "good" @5'],
    );
  });

  test('empty-text: empty or whitespace-only text', async () => {
    assert.deepEqual(await readJsonl([good(1, ''), good(2, ' \n\t '), good(3)]), [
      'empty-text @1',
      'empty-text @2',
      'ok 3 "good" @3',
    ]);
  });

  test('nul-byte: a raw NUL in the line, or an escaped one in the text or id', async () => {
    assert.deepEqual(
      await readJsonl([`{"id": 1, "text": "a\0b"}`, good(2, 'a\u0000b'), good('x\u0000'), good(3)]),
      ['nul-byte @1', 'nul-byte @2', 'nul-byte @3', 'ok 3 "good" @4'],
    );
  });

  test('invalid-utf8: bytes that are not UTF-8', async () => {
    assert.deepEqual(
      await readJsonl([
        Buffer.concat([Buffer.from('{"id": 1, "text": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
        good(2),
      ]),
      ['invalid-utf8 @1', 'ok 2 "good" @2'],
    );
  });

  test('duplicate-id: a number and its decimal string are the same id', async () => {
    const results = await readAll(file('dupes.jsonl', [good(7), good('7'), good('a'), good('a')].join('\n')));
    assert.deepEqual(results.map(brief), [
      'ok 7 "good" @1:0',
      'duplicate-id @2:23',
      'ok a "good" @3:48',
      'duplicate-id @4:73',
    ]);
    assert.deepEqual(
      results.flatMap((r) => (r.ok ? [] : [r.rejected.reason])),
      ['duplicate id 7 (first seen on line 1)', 'duplicate id a (first seen on line 3)'],
    );
  });

  test('a BOM at the start, CRLF, blank lines (skipped, not rejects) and a last line without newline', async () => {
    assert.deepEqual(await readJsonl([`\ufeff${good(1)}\r`, '', '  \r', good(2)]), [
      'ok 1 "good" @1',
      'ok 2 "good" @4',
    ]);
  });

  test('a BOM in the middle of the file (concatenated files) is invalid JSON, with the reason saying so', async () => {
    const results = await readAll(file('bom.jsonl', `${good(1)}\n\ufeff${good(2)}\n`));
    assert.deepEqual(results.map(brief), ['ok 1 "good" @1:0', 'invalid-json @2:23']);
    assert.match(results[1]!.ok ? '' : results[1]!.rejected.reason, /byte order mark/);
  });
});
