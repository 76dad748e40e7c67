/**
 * Just enough of the protobuf wire format to append nodes and an output to an ONNX model's graph.
 *
 * Hand-written on purpose: a general protobuf library would decode every initializer of a 100-500 MB
 * model into JS objects only to write them back unchanged. Protobuf lets repeated fields (a graph's
 * `node` and `output`) continue anywhere in a message, so appending means copying the graph's bytes,
 * adding ours after them, and re-writing the one length prefix in front of the graph.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** The field's bytes, tag included (to copy it unchanged). */
  readonly raw: Uint8Array;
  /** For length-delimited fields: the payload without tag and length. */
  readonly payload?: Uint8Array;
  /** For varint fields. */
  readonly value?: bigint;
}

function readVarint(bytes: Uint8Array, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const byte = bytes[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error(`malformed protobuf: a varint at byte ${offset} does not end`);
}

/** The top-level fields of one message, in order. */
export function readFields(message: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < message.length) {
    const start = offset;
    const tag = readVarint(message, offset);
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    offset = tag.next;
    if (wireType === WIRE_VARINT) {
      const { value, next } = readVarint(message, offset);
      offset = next;
      fields.push({ field, wireType, raw: message.subarray(start, offset), value });
    } else if (wireType === WIRE_BYTES) {
      const length = readVarint(message, offset);
      const end = length.next + Number(length.value);
      if (end > message.length) throw new Error(`malformed protobuf: field ${field} runs past the end`);
      offset = end;
      fields.push({ field, wireType, raw: message.subarray(start, end), payload: message.subarray(length.next, end) });
    } else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      offset += wireType === WIRE_FIXED64 ? 8 : 4;
      fields.push({ field, wireType, raw: message.subarray(start, offset) });
    } else {
      throw new Error(`malformed protobuf: wire type ${wireType} of field ${field} at byte ${start}`);
    }
  }
  return fields;
}

function varint(value: number | bigint): number[] {
  // int64 fields: negative values are ten-byte two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A message being written: chained field writers, then `bytes()`. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];

  int(field: number, value: number | bigint): this {
    this.parts.push(Uint8Array.from([...varint((field << 3) | WIRE_VARINT), ...varint(value)]));
    return this;
  }

  float(field: number, value: number): this {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setFloat32(0, value, true);
    this.parts.push(Uint8Array.from(varint((field << 3) | WIRE_FIXED32)), payload);
    return this;
  }

  bytes(field: number, payload: Uint8Array): this {
    this.parts.push(Uint8Array.from([...varint((field << 3) | WIRE_BYTES), ...varint(payload.length)]), payload);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, message: MessageWriter): this {
    return this.bytes(field, message.finish());
  }

  /** Bytes copied as they are (fields of another message). */
  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((sum, part) => sum + part.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
