import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Int32, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { resolveFormat } from './corpus-format.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { brief, collect, readAll, tempFiles } from './testing/temp-corpus.ts';

const { dir, file } = tempFiles();

function isCorpusError(path: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof CorpusError, String(error));
    assert.equal(error.path, path);
    assert.ok(error.message.startsWith(`${path}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('format detection', () => {
  test('tells the format from the file name, case-insensitively', () => {
    const cases: [string, string][] = [
      ['collection.tsv', 'tsv'],
      ['/data/msmarco/collection.tsv.gz', 'tsv.gz'],
      ['corpus.jsonl', 'jsonl'],
      ['corpus.JSONL.GZ', 'jsonl.gz'],
      ['corpus.ndjson', 'jsonl'],
      ['corpus.ndjson.gz', 'jsonl.gz'],
      ['corpus.arrow', 'arrow'],
      ['corpus.arrows', 'arrow'],
      ['corpus.feather', 'arrow'],
      ['corpus.parquet', 'parquet'],
      ['doc-text.trec', 'trec'],
      ['my.tsv.files/corpus.jsonl', 'jsonl'],
    ];
    for (const [path, format] of cases) assert.equal(resolveFormat(path), format, path);
  });

  test('options.format overrides the name; an unknown format or name is a CorpusError', async () => {
    const tsv = file('passages.txt', '1\tone\n2\ttwo\n');
    const corpus = await openCorpus(tsv, { format: 'tsv' });
    assert.equal(corpus.format, 'tsv');
    assert.deepEqual((await collect(corpus.read())).map(brief), ['ok 1 "one" @1:0', 'ok 2 "two" @2:6']);
    // A .tsv file read as JSONL: every line is a reject, nothing is thrown.
    const asJsonl = await readAll(file('really.tsv', '1\tone\n'), { format: 'jsonl' });
    assert.deepEqual(asJsonl.map(brief), ['invalid-json @1:0']);
    await assert.rejects(
      openCorpus(tsv),
      isCorpusError(tsv, /cannot tell the format from the file name.*name one with the format option/),
    );
    await assert.rejects(
      openCorpus(tsv, { format: 'csv' }),
      isCorpusError(
        tsv,
        /unknown format "csv" \(known: tsv, tsv.gz, jsonl, jsonl.gz, arrow, parquet, trec\)/,
      ),
    );
  });

  test('the .gz variants are detected and read', async () => {
    const results = await readAll(file('small.jsonl.gz', gzipSync('{"id": 1, "text": "one"}\n')));
    assert.deepEqual(results.map(brief), ['ok 1 "one" @1:0']);
  });
});

describe('openCorpus', () => {
  test('whole-file problems throw CorpusError naming the path: missing, a folder, unreadable', async () => {
    const missing = `${dir}/nope.tsv`;
    await assert.rejects(openCorpus(missing), isCorpusError(missing, /no such file/));
    const subdir = `${dir}/sub.tsv`;
    mkdirSync(subdir);
    await assert.rejects(openCorpus(subdir), isCorpusError(subdir, /not a regular file/));
    // root reads anything, so the permission check only means something for other users.
    if (process.getuid?.() !== 0) {
      const locked = file('locked.tsv', '1\ta\n');
      chmodSync(locked, 0o000);
      await assert.rejects(openCorpus(locked), isCorpusError(locked, /not readable/));
      chmodSync(locked, 0o644);
    }
  });

  test('seekable is true for plain TSV, JSONL and TREC only; a range on the others is a CorpusError', async () => {
    const seekable: [string, string | Uint8Array, boolean][] = [
      ['s.tsv', '1\ta\n', true],
      ['s.jsonl', '{"id":1,"text":"a"}\n', true],
      ['s.trec', '<DOC>\n<DOCNO>1</DOCNO>\na\n</DOC>\n', true],
      ['s.tsv.gz', gzipSync('1\ta\n'), false],
      ['s.jsonl.gz', gzipSync('{"id":1,"text":"a"}\n'), false],
      [
        's.arrow',
        tableToIPC(
          new Table({ id: vectorFromArray([1], new Int32()), text: vectorFromArray(['a'], new Utf8()) }),
        ),
        false,
      ],
      [
        's.parquet',
        new Uint8Array(
          parquetWriteBuffer({
            columnData: [
              { name: 'id', data: [1], type: 'INT32' },
              { name: 'text', data: ['a'], type: 'STRING' },
            ],
          }),
        ),
        false,
      ],
    ];
    for (const [name, content, expected] of seekable) {
      const path = file(name, content);
      const corpus = await openCorpus(path);
      assert.equal(corpus.seekable, expected, name);
      assert.equal((await collect(corpus.read())).length, 1, name);
      if (expected) assert.equal((await collect(corpus.read({ start: 0, end: 1 }))).length, 1, name);
      else
        assert.throws(
          () => corpus.read({ start: 0, end: 1 }),
          isCorpusError(path, /cannot be read by byte range/),
        );
    }
  });

  test('a malformed range is a CorpusError', async () => {
    const path = file('r.tsv', '1\ta\n');
    const corpus = await openCorpus(path);
    for (const range of [
      { start: -1, end: 2 },
      { start: 3, end: 2 },
      { start: 0.5, end: 2 },
      { start: 0, end: 2, firstLine: 0 },
    ]) {
      assert.throws(() => corpus.read(range), isCorpusError(path, /invalid/), JSON.stringify(range));
    }
  });

  test('every read is fresh: duplicates are judged within one read', async () => {
    const corpus = await openCorpus(file('twice.tsv', '1\ta\n1\tb\n'));
    const first = (await collect(corpus.read())).map(brief);
    assert.deepEqual(first, ['ok 1 "a" @1:0', 'duplicate-id @2:4']);
    assert.deepEqual((await collect(corpus.read())).map(brief), first);
    const noDedupe = await openCorpus(corpus.path, { dedupe: false });
    assert.deepEqual((await collect(noDedupe.read())).map(brief), ['ok 1 "a" @1:0', 'ok 1 "b" @2:4']);
  });
});
