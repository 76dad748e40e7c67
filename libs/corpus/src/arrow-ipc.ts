import type { FileHandle } from 'node:fs/promises';
import { ByteBuffer } from 'flatbuffers';
import type { BodyCompression } from 'apache-arrow/fb/body-compression';
import { BodyCompressionMethod } from 'apache-arrow/fb/body-compression-method';
import type { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import type { Field as FbField } from 'apache-arrow/fb/field';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import {
  BufferRegion,
  DictionaryBatch,
  FieldNode,
  Message,
  RecordBatch,
} from 'apache-arrow/ipc/metadata/message';
import { decompress as zstdDecompress } from 'fzstd';
import { CorpusError } from './errors/corpus-error.ts';
import { decompressLz4Frame } from './lz4-frame.ts';

/**
 * Arrow IPC at the message level, for what apache-arrow 18 (pinned by LanceDB's peer range) cannot read:
 * record batches with compressed buffers (LZ4_FRAME, ZSTD; arrow-js decompresses only from 21 on), and
 * the types it does not know at all (large_list, run_end_encoded, and the view types such as string_view).
 *
 * An IPC stream is a sequence of messages: a continuation marker 0xFFFFFFFF, an int32 metadata length,
 * a flatbuffer Message (Schema, DictionaryBatch or RecordBatch header), then the message body. An IPC
 * file is "ARROW1\0\0", the same stream (ending with an end-of-stream marker), then a footer.
 */

export type IpcCompression = 'LZ4_FRAME' | 'ZSTD';

/** Where a file's IPC stream lies, and how its record batches are compressed. */
export interface IpcLayout {
  readonly kind: 'file' | 'stream';
  /** The first byte of the first message, and the end of the messages (a file's footer starts there). */
  readonly start: number;
  readonly end: number;
  /** How the first dictionary or record batch is compressed; undefined when it is not, or there is none. */
  readonly compression?: IpcCompression;
}

const FILE_MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;
const END_OF_STREAM = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Arrow type ids (Schema.fbs) that apache-arrow 18 cannot decode, with what to cast each to. */
const UNREADABLE_TYPES: ReadonlyMap<number, readonly [string, string]> = new Map([
  [21, ['large_list', 'list']],
  [22, ['run_end_encoded', 'its value type (pyarrow: pc.run_end_decode)']],
  [23, ['binary_view', 'binary or large_binary']],
  [24, ['string_view', 'string or large_string']],
  [25, ['list_view', 'list']],
  [26, ['large_list_view', 'list']],
]);

/**
 * Reads the start of an Arrow IPC file or stream: the schema, and the header of the first dictionary or
 * record batch (compressed or not). A schema with a column of a type apache-arrow 18 cannot read is a
 * CorpusError naming the column, its type and what to cast it to; so are a Feather version 1 file and an
 * IPC file without its footer. Anything else that does not parse as IPC gives undefined, and is left to
 * apache-arrow to report in its words.
 */
export async function inspectIpc(path: string, handle: FileHandle): Promise<IpcLayout | undefined> {
  const layout = await messageSpan(path, handle);
  if (layout === undefined) return undefined;
  const messages = new MessageReader(handle, layout.start, layout.end);
  try {
    const schema = await messages.next();
    if (schema?.message.headerType() !== MessageHeader.Schema) return undefined;
    checkReadableSchema(path, schema.message.header(new FbSchema()) as FbSchema);
    for (;;) {
      const next = await messages.next();
      if (next === undefined) return layout;
      const batch = recordBatchOf(next.message);
      if (batch === undefined) {
        messages.skip(next.bodyLength);
        continue;
      }
      const compression = batch.compression();
      if (compression === null) return layout;
      return { ...layout, compression: codecName(path, compression.codec(), compression.method()) };
    }
  } catch (error) {
    if (error instanceof CorpusError) throw error;
    return undefined;
  }
}

/**
 * Where the messages lie: in a file, between its magic and its footer; in a stream, everywhere. A Feather
 * version 1 file and an IPC file without its footer are CorpusErrors; a footer length that does not fit,
 * undefined.
 */
async function messageSpan(path: string, handle: FileHandle): Promise<IpcLayout | undefined> {
  const size = (await handle.stat()).size;
  const head = await readAt(handle, 0, Math.min(8, size));
  if (head.length >= 4 && Buffer.from(head.subarray(0, 4)).toString('latin1') === 'FEA1') {
    throw new CorpusError(
      path,
      'a Feather version 1 file, which is not Arrow IPC: rewrite it as Feather version 2 (pyarrow: feather.write_feather(table, path, version=2)) or as Parquet',
    );
  }
  if (head.length < 6 || !Buffer.from(head.subarray(0, 6)).equals(FILE_MAGIC))
    return { kind: 'stream', start: 0, end: size };
  const tail = await readAt(handle, Math.max(0, size - 10), 10);
  if (size < 8 + 10 || !Buffer.from(tail.subarray(4)).equals(FILE_MAGIC)) {
    throw new CorpusError(
      path,
      `an Arrow IPC file (it starts with "ARROW1") whose end is missing: no footer, so it was cut short or not completely written (${size} bytes)`,
    );
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
  const end = size - 10 - footerLength;
  if (footerLength <= 0 || end < 8) return undefined;
  return { kind: 'file', start: 8, end };
}

/** A CorpusError naming each column of a type apache-arrow 18 cannot read, and what to cast it to. */
function checkReadableSchema(path: string, schema: FbSchema): void {
  const unreadable = unreadableColumns(schema);
  if (unreadable.length === 0) return;
  throw new CorpusError(
    path,
    `${unreadable.join('; ')}: apache-arrow 18, which reads Arrow here, cannot read ${unreadable.length === 1 ? 'that type' : 'those types'} (large_list, and the run-end and view types of Arrow 12+); cast before writing (pyarrow: table.cast(schema)) or write Parquet`,
  );
}

/** Where uncompressedIpcStream leaves the error that ended it early. */
export interface StreamFailure {
  error?: Error;
}

/**
 * The IPC stream of `layout` with every compressed dictionary and record batch body decompressed and its
 * header re-encoded without compression, for apache-arrow's stream reader. One message is read, and
 * yielded, at a time: memory is one batch. A message that cannot be read or decompressed ends the stream
 * there, its error (naming the batch) left in `failure`: apache-arrow pulls the next chunk before it
 * hands out the batch it has read, so an error thrown would lose that batch too.
 */
export async function* uncompressedIpcStream(
  handle: FileHandle,
  layout: IpcLayout,
  failure: StreamFailure,
): AsyncGenerator<Uint8Array> {
  try {
    yield* messagesOf(handle, layout);
  } catch (error) {
    failure.error = error instanceof Error ? error : new Error(String(error));
  }
}

async function* messagesOf(handle: FileHandle, layout: IpcLayout): AsyncGenerator<Uint8Array> {
  const messages = new MessageReader(handle, layout.start, layout.end);
  let batchIndex = 0;
  for (;;) {
    const next = await messages.next();
    if (next === undefined) break;
    const body = await messages.body(next.bodyLength);
    const batch = recordBatchOf(next.message);
    const compression = batch?.compression() ?? null;
    if (batch === undefined || compression === null) yield concat(frame(next.metadata), body);
    else yield uncompressedMessage(next.message, batch, compression, body, batchIndex);
    if (next.message.headerType() === MessageHeader.RecordBatch) batchIndex++;
  }
  yield END_OF_STREAM;
}

/** A compressed dictionary or record batch, framed again as the uncompressed message apache-arrow reads. */
function uncompressedMessage(
  message: FbMessage,
  batch: FbRecordBatch,
  compression: BodyCompression,
  body: Uint8Array,
  batchIndex: number,
): Uint8Array {
  const dictionary =
    message.headerType() === MessageHeader.DictionaryBatch
      ? (message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null)
      : null;
  const what = dictionary !== null ? 'dictionary batch' : `record batch ${batchIndex}`;
  const codec = codecName(undefined, compression.codec(), compression.method());
  let uncompressed: { nodes: FieldNode[]; buffers: BufferRegion[]; body: Uint8Array };
  try {
    uncompressed = decompressBody(batch, body, codec);
  } catch (error) {
    throw new Error(`${what} (${codec}): ${(error as Error).message}`, { cause: error });
  }
  const header = new RecordBatch(batch.length(), uncompressed.nodes, uncompressed.buffers);
  const rebuilt =
    dictionary !== null
      ? Message.from(
          new DictionaryBatch(header, dictionary.id(), dictionary.isDelta()),
          uncompressed.body.length,
        )
      : Message.from(header, uncompressed.body.length);
  return concat(frame(Message.encode(rebuilt)), uncompressed.body);
}

interface RawMessage {
  readonly metadata: Uint8Array;
  readonly message: FbMessage;
  readonly bodyLength: number;
}

/** Reads IPC messages in order from `position` up to `end`. */
class MessageReader {
  private count = 0;
  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly end: number,
  ) {}

  /** The next message's metadata, or undefined at the end-of-stream marker or the end of the data. */
  async next(): Promise<RawMessage | undefined> {
    if (this.position >= this.end) return undefined;
    const at = this.position;
    let length = this.int32(await this.bytes(4, 'a message length'));
    if (length === CONTINUATION) length = this.int32(await this.bytes(4, 'a message length'));
    if (length === 0) return undefined;
    if (length < 0 || length > this.end - this.position)
      throw new Error(
        `message ${this.count} at byte ${at} declares ${length} bytes of metadata, past the end of the data at byte ${this.end}: it is cut short or damaged`,
      );
    const metadata = await this.bytes(length, `message ${this.count}'s metadata`);
    const message = FbMessage.getRootAsMessage(new ByteBuffer(metadata));
    const bodyLength = Number(message.bodyLength());
    if (!(bodyLength >= 0 && bodyLength <= this.end - this.position))
      throw new Error(
        `message ${this.count} at byte ${at} declares a body of ${bodyLength} bytes, past the end of the data at byte ${this.end}: it is cut short or damaged`,
      );
    this.count++;
    return { metadata, message, bodyLength };
  }

  body(length: number): Promise<Uint8Array> {
    return this.bytes(length, `message ${this.count - 1}'s body`);
  }

  skip(length: number): void {
    this.position += length;
  }

  private async bytes(length: number, what: string): Promise<Uint8Array> {
    const bytes = await readAt(this.handle, this.position, Math.min(length, this.end - this.position));
    if (bytes.length < length)
      throw new Error(`the data ends inside ${what} (byte ${this.position + bytes.length} of ${this.end})`);
    this.position += length;
    return bytes;
  }

  private int32(bytes: Uint8Array): number {
    const value = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    return value === CONTINUATION ? value : value | 0;
  }
}

/** `length` bytes at `position` (fewer at the end of the file), in an array of their own (8-byte aligned). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, length));
  let filled = 0;
  while (filled < out.length) {
    const { bytesRead } = await handle.read(out, filled, out.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === out.length ? out : out.subarray(0, filled);
}

function recordBatchOf(message: FbMessage): FbRecordBatch | undefined {
  switch (message.headerType()) {
    case MessageHeader.RecordBatch:
      return (message.header(new FbRecordBatch()) as FbRecordBatch | null) ?? undefined;
    case MessageHeader.DictionaryBatch: {
      const dictionary = message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
      return dictionary?.data() ?? undefined;
    }
    default:
      return undefined;
  }
}

function codecName(path: string | undefined, codec: number, method: number): IpcCompression {
  const name =
    codec === CompressionType.LZ4_FRAME ? 'LZ4_FRAME' : codec === CompressionType.ZSTD ? 'ZSTD' : undefined;
  if (name !== undefined && method === BodyCompressionMethod.BUFFER) return name;
  const problem = `record batches are compressed with ${name === undefined ? `codec ${codec}` : `method ${method}`}, which this reader does not know (it reads LZ4_FRAME and ZSTD buffers); rewrite it uncompressed (pyarrow: compression='uncompressed') or as Parquet`;
  if (path !== undefined) throw new CorpusError(path, problem);
  throw new Error(problem);
}

/**
 * Decompresses each buffer of a batch body: an int64 uncompressed length (-1: stored uncompressed), then
 * the codec's data; an empty buffer has neither. The buffers are laid out again, each 8-byte aligned, in
 * one new body: sizes first, then each buffer is decompressed (or copied) straight into its place.
 */
function decompressBody(
  batch: FbRecordBatch,
  body: Uint8Array,
  codec: IpcCompression,
): { nodes: FieldNode[]; buffers: BufferRegion[]; body: Uint8Array } {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts = Array.from({ length: batch.buffersLength() }, (_, i) =>
    storedBuffer(view, body, batch.buffers(i)!, i),
  );
  const buffers: BufferRegion[] = [];
  let size = 0;
  for (const part of parts) {
    buffers.push(new BufferRegion(size, part.uncompressedLength));
    size += align8(part.uncompressedLength);
  }
  const out = new Uint8Array(size);
  for (const [i, { payload, compressed }] of parts.entries()) {
    const { offset, length } = buffers[i]!;
    const target = out.subarray(offset, offset + length);
    if (!compressed) {
      target.set(payload);
      continue;
    }
    if (length === 0) continue;
    try {
      if (codec === 'LZ4_FRAME') decompressLz4Frame(payload, target);
      else zstdInto(payload, target);
    } catch (error) {
      throw new Error(`buffer ${i} does not decompress: ${(error as Error).message}`, { cause: error });
    }
  }
  const nodes: FieldNode[] = [];
  for (let i = 0; i < batch.nodesLength(); i++) {
    const node = batch.nodes(i)!;
    nodes.push(new FieldNode(node.length(), node.nullCount()));
  }
  return { nodes, buffers, body: out };
}

/**
 * Buffer `i` of a compressed body: its data after the length prefix, its uncompressed length, and whether it
 * is compressed (a length of -1: stored as is).
 */
function storedBuffer(
  view: DataView,
  body: Uint8Array,
  region: FbBuffer,
  i: number,
): { payload: Uint8Array; uncompressedLength: number; compressed: boolean } {
  const offset = Number(region.offset());
  const length = Number(region.length());
  if (offset < 0 || length < 0 || offset + length > body.length)
    throw new Error(`buffer ${i} (${length} bytes at ${offset}) lies outside the ${body.length}-byte body`);
  if (length === 0) return { payload: new Uint8Array(0), uncompressedLength: 0, compressed: false };
  if (length < 8) throw new Error(`buffer ${i} is ${length} bytes, too short for its length prefix`);
  const declared = view.getBigInt64(offset, true);
  const payload = body.subarray(offset + 8, offset + length);
  if (declared === -1n) return { payload, uncompressedLength: payload.length, compressed: false };
  if (declared < 0n || declared > 2n ** 31n)
    throw new Error(`buffer ${i} declares ${declared} uncompressed bytes`);
  return { payload, uncompressedLength: Number(declared), compressed: true };
}

/**
 * Decompresses a ZSTD buffer into `out`, which it must fill. fzstd 0.1.1's `decompress(data, out)` tests
 * `out == 1` in its frame header reader, and that comparison turns the whole output array into a string
 * ("0,0,0,...", twice its size) once per frame: half the time of reading a ZSTD Arrow file (profiled with
 * bench/corpus/read.ts). So `out` is given a primitive value first (NaN: never 1); fzstd uses it otherwise
 * only as the output, and the allocations stay bounded by the size Arrow recorded.
 */
function zstdInto(payload: Uint8Array, out: Uint8Array): void {
  Object.defineProperty(out, Symbol.toPrimitive, { value: notOne });
  const result = zstdDecompress(payload, out);
  if (result.length !== out.length)
    throw new Error(`zstd: decoded ${result.length} bytes, expected ${out.length}`);
  if (result !== out) out.set(result);
}

const notOne = (): number => Number.NaN;

/** A message's metadata framed for a stream: continuation marker, padded length, metadata, zero padding. */
function frame(metadata: Uint8Array): Uint8Array {
  const padded = align8(metadata.length);
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  out.set(metadata, 8);
  return out;
}

const align8 = (n: number) => (n + 7) & ~7;

function concat(head: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Each column (or nested field, as "a.b") whose type apache-arrow 18 cannot decode, with what to cast it to. */
function unreadableColumns(schema: FbSchema): string[] {
  const found: string[] = [];
  const visit = (field: FbField, prefix: string) => {
    const name = `${prefix}${field.name() ?? ''}`;
    const type = field.typeType() as number;
    const known = UNREADABLE_TYPES.get(type);
    if (known !== undefined) found.push(`column "${name}" is ${known[0]}: cast it to ${known[1]}`);
    else if (type > 26) found.push(`column "${name}" has Arrow type id ${type}, newer than this reader`);
    for (let i = 0; i < field.childrenLength(); i++) visit(field.children(i)!, `${name}.`);
  };
  for (let i = 0; i < schema.fieldsLength(); i++) visit(schema.fields(i)!, '');
  return found;
}
