import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decompressLz4Frame } from './lz4-frame.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const decode = (frame: Uint8Array, size: number) => {
  const out = new Uint8Array(size);
  decompressLz4Frame(frame, out);
  return Buffer.from(out).toString('latin1');
};

describe('LZ4 frame decoder', () => {
  test("two linked 64 KiB blocks from Arrow's LZ4 codec (pyarrow.compress), matches reaching into the block before", () => {
    const frame = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'pyarrow', 'lz4-frame.bin'));
    const input = Array.from({ length: 8000 }, (_, i) => `row ${i} ${(i * 7919) % 1000}\n`).join('');
    assert.equal(frame[4]! & 0x20, 0, 'linked blocks');
    assert.equal(decode(frame, input.length), input);
  });

  test('a block with an overlapping match (pyarrow.compress of "abc" x 13 + "X"), and an empty frame', () => {
    assert.equal(
      decode(hex('04224d186040820d0000003f61626303000d50636162635800000000'), 40),
      `${'abc'.repeat(13)}X`,
    );
    assert.equal(decode(hex('04224d1860408200000000'), 0), '');
  });

  test('stored blocks, block and content checksums, a content size and a skippable frame are read past', () => {
    // FLG 0x7c: version 1, independent blocks, block checksums, content size, content checksum.
    const frame = hex(`
      50 2a 4d 18 03000000 aabbcc
      04224d18 7c 40 0500000000000000 00
      03000080 616263 deadbeef
      02000080 6465 deadbeef
      00000000 cafebabe`);
    assert.equal(decode(frame, 5), 'abcde');
  });

  test('damaged data is an error naming the problem, never a short or overlong output', () => {
    const good = '04224d186040820d0000003f61626303000d50636162635800000000';
    const cases: [string, number, RegExp][] = [
      ['', 1, /no data/],
      ['04224d17604082', 1, /not an LZ4 frame \(magic 0x174d2204\)/],
      [good, 39, /output exceeds the expected 39 bytes/],
      [good, 41, /decoded 40 bytes, expected 41/],
      [good.slice(0, 30), 40, /block of 13 bytes runs past the data/],
      // Inside a block, the byte named is the problem's (the offset's), not the block's first.
      [
        good.replace('03000d50', 'ffff0d50'),
        40,
        /match offset 65535 reaches before the output's start \(at input byte 15 of 28\)/,
      ],
      ['04224d18a04082', 1, /unsupported frame version 2/],
      [good.slice(0, -8), 40, /data ends early/],
    ];
    for (const [frame, size, error] of cases) assert.throws(() => decode(hex(frame), size), error, frame);
  });
});
