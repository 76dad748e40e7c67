import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CorpusError } from './errors/corpus-error.ts';
import { parseTsvLine } from './tsv-records.ts';
import { brief, readAll, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();
let serial = 0;

/** Reads `lines` (joined with LF) as a TSV corpus, and as the same gzipped, checking both agree. */
async function readTsv(
  lines: readonly (string | Buffer)[],
  options: { dedupe?: boolean } = {},
): Promise<string[]> {
  const bytes = Buffer.concat(
    lines.flatMap((l, i) => [Buffer.from(l), Buffer.from(i < lines.length - 1 ? '\n' : '')]),
  );
  const name = `c${serial++}`;
  const plain = (await readAll(file(`${name}.tsv`, bytes), options)).map(brief);
  const gzipped = (await readAll(file(`${name}.tsv.gz`, gzipSync(bytes)), options)).map(brief);
  assert.deepEqual(gzipped, plain, 'the .gz reads the same as the plain file');
  return plain;
}

describe('TSV records', () => {
  test('reads pid<TAB>passage with line numbers and byte offsets', async () => {
    assert.deepEqual(
      await readTsv(['0\tfirst passage', '1\tsecond, ünïcode', '8841822\tlast MS MARCO pid', '']),
      ['ok 0 "first passage" @1:0', 'ok 1 "second, ünïcode" @2:16', 'ok 8841822 "last MS MARCO pid" @3:36'],
    );
  });

  test('no-separator: a line without a TAB', async () => {
    assert.deepEqual(await readTsv(['1\tgood', 'no tab here', '2\tgood']), [
      'ok 1 "good" @1:0',
      'no-separator @2:7',
      'ok 2 "good" @3:19',
    ]);
  });

  test('empty-text: empty or whitespace-only text', async () => {
    assert.deepEqual(await readTsv(['1\tgood', '2\t', '3\t  \t ', '4\tgood']), [
      'ok 1 "good" @1:0',
      'empty-text @2:7',
      'empty-text @3:10',
      'ok 4 "good" @4:17',
    ]);
  });

  test('invalid-utf8: bytes that are not UTF-8', async () => {
    assert.deepEqual(await readTsv(['1\tgood', Buffer.from([0x32, 0x09, 0x61, 0xc3, 0x28]), '3\tgood']), [
      'ok 1 "good" @1:0',
      'invalid-utf8 @2:7',
      'ok 3 "good" @3:13',
    ]);
  });

  test('nul-byte: a NUL anywhere in the line', async () => {
    assert.deepEqual(await readTsv(['1\tgood', '2\tzero\0filled', '3\0\tx', '4\tgood']), [
      'ok 1 "good" @1:0',
      'nul-byte @2:7',
      'nul-byte @3:21',
      'ok 4 "good" @4:26',
    ]);
  });

  test('bad-id: non-numeric, signed, fractional, leading zeros, padded or empty ids', async () => {
    const bad = ['abc', '-1', '+1', '1.5', '007', ' 8', '9 ', '1e3', '', '٣'];
    const results = await readTsv(['1\tgood', ...bad.map((id) => `${id}\ttext`), '2\tgood']);
    assert.deepEqual(results, [
      'ok 1 "good" @1:0',
      ...bad.map((_, i) => `bad-id @${i + 2}:${results[i + 1]!.split(':')[1]}`),
      `ok 2 "good" @${bad.length + 2}:${results.at(-1)!.split(':')[1]}`,
    ]);
  });

  test('id-out-of-range: ids above Number.MAX_SAFE_INTEGER; 0 and MAX_SAFE_INTEGER itself are fine', async () => {
    assert.deepEqual(
      await readTsv([
        '0\tzero',
        '9007199254740991\tmax',
        '9007199254740992\tover',
        '99999999999999999999\tway over',
      ]),
      [
        'ok 0 "zero" @1:0',
        'ok 9007199254740991 "max" @2:7',
        'id-out-of-range @3:28',
        'id-out-of-range @4:50',
      ],
    );
  });

  test('duplicate-id: later occurrences are rejected, naming the first line; dedupe: false lets them through', async () => {
    const lines = ['1\tone', '2\ttwo', '1\tone again', '1\tand again'];
    assert.deepEqual(await readTsv(lines), [
      'ok 1 "one" @1:0',
      'ok 2 "two" @2:6',
      'duplicate-id @3:12',
      'duplicate-id @4:24',
    ]);
    const results = await readAll(file('dupes.tsv', lines.join('\n')));
    assert.match(
      results[2]!.ok ? '' : results[2]!.rejected.reason,
      /duplicate id 1 \(first seen on line 1\)/,
    );
    assert.deepEqual(await readTsv(lines, { dedupe: false }), [
      'ok 1 "one" @1:0',
      'ok 2 "two" @2:6',
      'ok 1 "one again" @3:12',
      'ok 1 "and again" @4:24',
    ]);
  });

  test('a BOM at the file start is skipped but counted in offsets; one mid-file (concatenated files) is a bad id', async () => {
    assert.deepEqual(await readTsv(['\ufeff1\tgood', '\ufeff2\tafter cat']), [
      'ok 1 "good" @1:3',
      'bad-id @2:10',
    ]);
  });

  test('CRLF line ends, a last line without newline, blank lines (skipped, not rejects) and TABs inside the text', async () => {
    assert.deepEqual(await readTsv(['1\twindows\r', '', '   ', '2\ta\tb\t', '3\tno newline']), [
      'ok 1 "windows" @1:0',
      'ok 2 "a\\tb\\t" @4:16',
      'ok 3 "no newline" @5:23',
    ]);
  });

  test('line-too-long: a line past the limit is rejected without being read', () => {
    const result = parseTsvLine({ text: '', number: 9, byteOffset: 90, validUtf8: true, tooLong: true });
    assert.equal(result && brief(result), 'line-too-long @9:90');
  });

  test('reject reasons say what is wrong and quote the value', async () => {
    const results = await readAll(file('reasons.tsv', 'abc\tx\n99999999999999999999\ty\nno tab\n'));
    assert.deepEqual(
      results.map((r) => (r.ok ? '' : r.rejected.reason)),
      [
        'id "abc" is not a non-negative decimal integer',
        'id "99999999999999999999" is above 9007199254740991 (Number.MAX_SAFE_INTEGER)',
        'no TAB between id and text: "no tab"',
      ],
    );
  });
});

describe('gzip', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => `${i}\tpassage number ${i} with a few words`);
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  const gz = gzipSync(bytes);

  test('a truncated .gz yields every complete record before the cut, then one truncated-gzip reject', async () => {
    for (const cut of [gz.length - 4, gz.length - 9, Math.floor(gz.length / 2), 100, 10, 0]) {
      const results = await readAll(file(`cut-${cut}.tsv.gz`, gz.subarray(0, cut)));
      const last = results.at(-1)!;
      assert.ok(!last.ok && last.rejected.kind === 'truncated-gzip', `cut at ${cut}: ${brief(last)}`);
      const records = results.slice(0, -1);
      assert.ok(records.every((r) => r.ok));
      // Records are exactly a prefix of the corpus, each complete.
      assert.deepEqual(
        records.map((r) => (r.ok ? `${r.record.id}\t${r.record.text}` : '')),
        lines.slice(0, records.length),
      );
      // The reject points at the first line not read: its number and decompressed offset.
      assert.equal(last.rejected.line, records.length + 1);
      assert.equal(
        last.rejected.byteOffset,
        lines.slice(0, records.length).reduce((n, l) => n + l.length + 1, 0),
      );
    }
    // Cut only in the 8-byte trailer: all data is there, the stream is still reported as truncated.
    const trailer = await readAll(file('trailer.tsv.gz', gz.subarray(0, gz.length - 4)));
    assert.equal(trailer.length, 3001);
  });

  test('damaged gzip data ends the read with one corrupt-gzip reject', async () => {
    const damaged = Buffer.from(gz);
    for (let i = 0; i < 8; i++) damaged[Math.floor(gz.length / 2) + i]! ^= 0x5a;
    const results = await readAll(file('damaged.tsv.gz', damaged));
    const last = results.at(-1)!;
    assert.ok(!last.ok && last.rejected.kind === 'corrupt-gzip', brief(last));
    assert.equal(results.filter((r) => !r.ok).length, 1 + results.slice(0, -1).filter((r) => !r.ok).length);
  });

  test('concatenated gzip members read as one stream', async () => {
    const half = `${lines.slice(0, 1500).join('\n')}\n`;
    const rest = `${lines.slice(1500).join('\n')}\n`;
    const results = await readAll(file('members.tsv.gz', Buffer.concat([gzipSync(half), gzipSync(rest)])));
    assert.equal(results.length, 3000);
    assert.ok(results.every((r) => r.ok));
  });

  test('a file that is not gzip at all is a CorpusError, not a reject', async () => {
    const path = file('plain.tsv.gz', '1\tnot compressed\n');
    await assert.rejects(
      readAll(path),
      (error: unknown) =>
        error instanceof CorpusError && error.message.startsWith(`${path}: not a gzip file`),
    );
  });
});
