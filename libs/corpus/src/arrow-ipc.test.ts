import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tableToIPC, Table, vectorFromArray, Utf8, Int32 } from 'apache-arrow';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { brief, okRecords, readAll, tempFiles } from './testing/temp-corpus.ts';

/**
 * Compressed Arrow IPC (arrow-ipc.ts) when the data is bad: the pyarrow fixtures (75-row batches) cut short
 * or with a damaged buffer. The good files are read in pyarrow-fixtures.test.ts.
 */
const { file } = tempFiles();
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'pyarrow', name));

/** `bytes` with the last occurrence of `magic` (a codec's frame magic: one buffer of the last batch) broken. */
function breakLast(bytes: Buffer, magic: string): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.lastIndexOf(Buffer.from(magic, 'hex'));
  assert.ok(at > 0, magic);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

describe('compressed Arrow IPC, damaged', () => {
  test('a compressed stream cut short yields its complete batches, then one bad-batch reject saying where it ends', async () => {
    const bytes = fixture('stream-zstd.arrows');
    const results = await readAll(file('cut.arrows', bytes.subarray(0, Math.floor(bytes.length * 0.7))));
    assert.equal(okRecords(results).length, 75);
    assert.deepEqual(results.slice(75).map(brief), ['bad-batch @76:1']);
    const reject = results[75]!.ok ? undefined : results[75]!.rejected;
    assert.match(
      reject!.reason,
      /^record batch 1 could not be read \(message 2 at byte \d+ declares a body of \d+ bytes, past the end of the data at byte \d+: it is cut short or damaged\); the rest of the file is lost$/,
    );
  });

  for (const [name, codec, magic, error] of [
    ['file-lz4.feather', 'LZ4_FRAME', '04224d18', /LZ4 frame: not an LZ4 frame/],
    ['stream-lz4.arrows', 'LZ4_FRAME', '04224d18', /LZ4 frame: not an LZ4 frame/],
    ['stream-zstd.arrows', 'ZSTD', '28b52ffd', /invalid zstd data/],
  ] as const) {
    test(`${name}: a buffer that does not decompress is one bad-batch reject naming batch, codec and buffer`, async () => {
      const results = await readAll(file(`damaged-${name}`, breakLast(fixture(name), magic)));
      assert.equal(okRecords(results).length, 150);
      assert.deepEqual(results.slice(150).map(brief), ['bad-batch @151:2']);
      const reason = results[150]!.ok ? '' : results[150]!.rejected.reason;
      assert.match(
        reason,
        new RegExp(
          `^record batch 2 could not be read \\(record batch 2 \\(${codec}\\): buffer \\d+ does not decompress: `,
        ),
      );
      assert.match(reason, error);
    });
  }

  test('an IPC file without its footer (cut short) is refused at open, compressed or not', async () => {
    for (const name of ['file.arrow', 'file-zstd.arrow']) {
      const bytes = fixture(name);
      const path = file(`cut-${name}`, bytes.subarray(0, bytes.length - 100));
      await assert.rejects(openCorpus(path), (error: unknown) => {
        assert.ok(error instanceof CorpusError);
        assert.match(
          error.message,
          /: an Arrow IPC file \(it starts with "ARROW1"\) whose end is missing: no footer, so it was cut short or not completely written \(\d+ bytes\)$/,
        );
        return true;
      });
    }
  });

  test('an uncompressed file apache-arrow wrote still reads through its own reader', async () => {
    const table = new Table({
      id: vectorFromArray([1, 2], new Int32()),
      text: vectorFromArray(['a', 'b'], new Utf8()),
    });
    const results = await readAll(file('plain.arrow', tableToIPC(table)));
    assert.deepEqual(results.map(brief), ['ok 1 "a" @1:0', 'ok 2 "b" @2:0']);
  });
});
