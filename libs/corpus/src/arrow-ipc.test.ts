import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Float64, Int32, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { BodyCompression } from 'apache-arrow/fb/body-compression';
import { BodyCompressionMethod } from 'apache-arrow/fb/body-compression-method';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Builder, ByteBuffer } from 'flatbuffers';
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

/**
 * An apache-arrow IPC stream rewritten with LZ4_FRAME compressed record batches the way Arrow Java writes buffers
 * that do not shrink: even buffers stored as they are (length prefix -1), odd ones as an LZ4 frame of one stored
 * (uncompressed) block. pyarrow always compresses, so the fixtures have neither.
 */
function storedCompressed(stream: Uint8Array, codec: number = CompressionType.LZ4_FRAME): Uint8Array {
  const out: Uint8Array[] = [];
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let pos = 0;
  for (;;) {
    const length = view.getInt32(pos + 4, true);
    if (length === 0) break;
    const metadata = stream.subarray(pos + 8, pos + 8 + length);
    const message = Message.getRootAsMessage(new ByteBuffer(metadata));
    const bodyLength = Number(message.bodyLength());
    const body = stream.subarray(pos + 8 + length, pos + 8 + length + bodyLength);
    pos += 8 + length + bodyLength;
    if (message.headerType() !== MessageHeader.RecordBatch) {
      out.push(stream.subarray(pos - 8 - length - bodyLength, pos));
      continue;
    }
    const batch = message.header(new RecordBatch()) as RecordBatch;
    const parts: Uint8Array[] = [];
    const regions: [number, number][] = [];
    let size = 0;
    for (let i = 0; i < batch.buffersLength(); i++) {
      const region = batch.buffers(i)!;
      const raw = body.subarray(Number(region.offset()), Number(region.offset() + region.length()));
      let part = new Uint8Array(0);
      if (raw.length > 0) {
        const head = Buffer.alloc(8);
        if (i % 2 === 0) {
          head.writeBigInt64LE(-1n);
          part = Buffer.concat([head, raw]);
        } else {
          head.writeBigInt64LE(BigInt(raw.length));
          const block = Buffer.alloc(4);
          block.writeUInt32LE((raw.length | 0x80000000) >>> 0);
          part = Buffer.concat([head, Buffer.from('04224d18604082', 'hex'), block, raw, Buffer.alloc(4)]);
        }
      }
      regions.push([size, part.length]);
      parts.push(part);
      size += (part.length + 7) & ~7;
    }
    const newBody = new Uint8Array(size);
    parts.forEach((part, i) => newBody.set(part, regions[i]![0]));
    const builder = new Builder(256);
    const compression = BodyCompression.createBodyCompression(builder, codec, BodyCompressionMethod.BUFFER);
    RecordBatch.startNodesVector(builder, batch.nodesLength());
    for (let i = batch.nodesLength() - 1; i >= 0; i--)
      FieldNode.createFieldNode(builder, batch.nodes(i)!.length(), batch.nodes(i)!.nullCount());
    const nodes = builder.endVector();
    RecordBatch.startBuffersVector(builder, regions.length);
    for (let i = regions.length - 1; i >= 0; i--)
      FbBuffer.createBuffer(builder, BigInt(regions[i]![0]), BigInt(regions[i]![1]));
    const buffers = builder.endVector();
    RecordBatch.startRecordBatch(builder);
    RecordBatch.addLength(builder, batch.length());
    RecordBatch.addNodes(builder, nodes);
    RecordBatch.addBuffers(builder, buffers);
    RecordBatch.addCompression(builder, compression);
    const header = RecordBatch.endRecordBatch(builder);
    Message.finishMessageBuffer(
      builder,
      Message.createMessage(builder, MetadataVersion.V5, MessageHeader.RecordBatch, header, BigInt(size), 0),
    );
    const meta = builder.asUint8Array();
    const prefix = Buffer.alloc(8 + ((meta.length + 7) & ~7));
    prefix.writeUInt32LE(0xffffffff, 0);
    prefix.writeInt32LE(prefix.length - 8, 4);
    prefix.set(meta, 8);
    out.push(prefix, newBody);
  }
  return Buffer.concat([...out, Buffer.from('ffffffff00000000', 'hex')]);
}

describe('compressed Arrow IPC, stored buffers', () => {
  test('buffers stored uncompressed (length -1) and LZ4 frames of stored blocks read as the uncompressed stream', async () => {
    const table = [
      new Table({
        id: vectorFromArray([1, 2, null], new Int32()),
        text: vectorFromArray(['a', 'bé', 'c'], new Utf8()),
        score: vectorFromArray([0.5, null, 2], new Float64()),
      }),
      new Table({
        id: vectorFromArray([4], new Int32()),
        text: vectorFromArray(['d'], new Utf8()),
        score: vectorFromArray([4], new Float64()),
      }),
    ].reduce((a, b) => a.concat(b));
    const plain = tableToIPC(table, 'stream');
    const compressed = storedCompressed(plain);
    assert.notDeepEqual(compressed, plain);
    const results = await readAll(file('stored.arrows', compressed));
    assert.deepEqual(results, await readAll(file('plain.arrows', plain)));
    assert.deepEqual(results.map(brief), [
      'ok 1 "a" @1:0',
      'ok 2 "bé" @2:0',
      'missing-id @3:0',
      'ok 4 "d" @4:1',
    ]);
    assert.deepEqual(
      okRecords(results).map((r) => r.payload),
      [{ score: 0.5 }, { score: null }, { score: 4 }],
    );
  });

  test('a compression codec the reader does not know is refused at open, naming it and the way out', async () => {
    const plain = tableToIPC(
      new Table({ id: vectorFromArray([1], new Int32()), text: vectorFromArray(['a'], new Utf8()) }),
      'stream',
    );
    const path = file('codec-7.arrows', storedCompressed(plain, 7));
    await assert.rejects(openCorpus(path), (error: unknown) => {
      assert.ok(error instanceof CorpusError);
      assert.equal(
        error.message,
        `${path}: record batches are compressed with codec 7, which this reader does not know (it reads LZ4_FRAME and ZSTD buffers); rewrite it uncompressed (pyarrow: compression='uncompressed') or as Parquet`,
      );
      return true;
    });
  });
});

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
