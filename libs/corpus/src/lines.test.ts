import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CorpusError } from './errors/corpus-error.ts';
import { LineSplitter, type Line } from './line-splitter.ts';
import { readLines } from './lines.ts';
import { collect, tempFiles } from './testing/temp-corpus.ts';

const { dir, file } = tempFiles();

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const tricky = Buffer.concat([
  BOM,
  Buffer.from('é1\r\nab\n\n\ttabs\t\r\n'),
  Buffer.from([0x61, 0xff, 0x0a]),
  Buffer.from('日本語\nlast'),
]);

function splitInChunks(
  bytes: Buffer,
  size: number,
  options?: ConstructorParameters<typeof LineSplitter>[0],
): Line[] {
  const splitter = new LineSplitter(options);
  const lines: Line[] = [];
  for (let i = 0; i < bytes.length; i += size) lines.push(...splitter.split(bytes.subarray(i, i + size)));
  const last = splitter.finish();
  if (last) lines.push(last);
  return lines;
}

const shape = (lines: readonly Line[]) => lines.map((l) => [l.text, l.number, l.byteOffset, l.validUtf8]);

describe('LineSplitter', () => {
  test('numbers lines and keeps byte offsets across a BOM, CRLF, multi-byte text, bad UTF-8 and a last line without newline', () => {
    assert.deepEqual(shape(splitInChunks(tricky, 1 << 20)), [
      ['é1', 1, 3, true],
      ['ab', 2, 8, true],
      ['', 3, 11, true],
      ['\ttabs\t', 4, 12, true],
      ['a\ufffd', 5, 20, false],
      ['日本語', 6, 23, true],
      ['last', 7, 33, true],
    ]);
  });

  test('gives the same lines whatever the chunk sizes (a BOM or a character split across chunks)', () => {
    const whole = shape(splitInChunks(tricky, 1 << 20));
    for (let size = 1; size <= tricky.length; size++)
      assert.deepEqual(shape(splitInChunks(tricky, size)), whole, `chunks of ${size}`);
  });

  test('keeps a BOM that is not at the file start as text, and reads a lone partial BOM as a bad line', () => {
    assert.deepEqual(
      shape(splitInChunks(Buffer.concat([BOM, Buffer.from('a')]), 1, { atFileStart: false })),
      [['\ufeffa', 1, 0, true]],
    );
    assert.deepEqual(shape(splitInChunks(BOM.subarray(0, 2), 1)), [['\ufffd', 1, 0, false]]);
  });

  test('resync drops the partial first line; firstLine 0 numbers every line 0', () => {
    const bytes = Buffer.from('tail of a line\nnext\nlast\n');
    assert.deepEqual(
      shape(splitInChunks(bytes, 3, { offset: 100, resync: true, firstLine: 0, atFileStart: false })),
      [
        ['next', 0, 115, true],
        ['last', 0, 120, true],
      ],
    );
    assert.deepEqual(
      shape(splitInChunks(bytes, 5, { offset: 100, resync: true, firstLine: 7, atFileStart: false })),
      [
        ['next', 7, 115, true],
        ['last', 8, 120, true],
      ],
    );
  });

  test('reports a line longer than the limit without holding it, and goes on after it', () => {
    const bytes = Buffer.from(`short\n${'x'.repeat(100)}\nafter\n${'y'.repeat(50)}`);
    for (const size of [1, 7, 1000]) {
      const lines = splitInChunks(bytes, size, { maxLineBytes: 20 });
      assert.deepEqual(
        lines.map((l) => [l.text, l.number, l.byteOffset, l.tooLong ?? false]),
        [
          ['short', 1, 0, false],
          ['', 2, 6, true],
          ['after', 3, 107, false],
          ['', 4, 113, true],
        ],
        `chunks of ${size}`,
      );
    }
  });
});

describe('readLines', () => {
  test('reads a file with offsets, and a range as the lines starting in it', async () => {
    const path = file('lines.txt', tricky);
    const all = await collect(readLines(path));
    assert.deepEqual(shape(all), shape(splitInChunks(tricky, 1 << 20)));
    const middle = await collect(readLines(path, { start: 8, end: 23, firstLine: 2 }));
    assert.deepEqual(
      middle.map((l) => [l.text, l.number]),
      [
        ['ab', 2],
        ['', 3],
        ['\ttabs\t', 4],
        ['a\ufffd', 5],
      ],
    );
    // A start inside a line leaves that line to the range before.
    const inside = await collect(readLines(path, { start: 9, end: 13 }));
    assert.deepEqual(
      inside.map((l) => [l.text, l.number, l.byteOffset]),
      [
        ['', 0, 11],
        ['\ttabs\t', 0, 12],
      ],
    );
    // Starts within the BOM: the first line starts at 3, so [1, 3) is empty and [1, 4) holds it, with its number.
    assert.deepEqual(await collect(readLines(path, { start: 1, end: 3 })), []);
    assert.deepEqual(shape(await collect(readLines(path, { start: 1, end: 4 }))), [['é1', 1, 3, true]]);
  });

  test('a missing file or a folder is a CorpusError naming the path and the problem in words', async () => {
    const missing = join(dir, 'missing.txt');
    await assert.rejects(
      collect(readLines(missing)),
      (error: Error) => error instanceof CorpusError && error.message === `${missing}: no such file`,
    );
    await assert.rejects(
      collect(readLines(dir)),
      (error: Error) => error instanceof CorpusError && error.message === `${dir}: not a regular file`,
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
