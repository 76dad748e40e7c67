import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findFatbinSection, keepOneArch } from './keep-gpu-arch.ts';

const ENTRY_HEADER = 64;

/** One fatbin entry: the fields keep-gpu-arch reads (kind, header size, payload size, sm) and a payload of `fill`. */
function entry(kind: number, sm: number, payloadSize: number, fill: number): Buffer {
  const header = Buffer.alloc(ENTRY_HEADER);
  header.writeUInt16LE(kind, 0);
  header.writeUInt16LE(0x0101, 2);
  header.writeUInt32LE(ENTRY_HEADER, 4);
  header.writeBigUInt64LE(BigInt(payloadSize), 8);
  header.writeUInt32LE(sm, 28);
  return Buffer.concat([header, Buffer.alloc(payloadSize, fill)]);
}

function container(entries: Buffer[]): Buffer {
  const body = Buffer.concat(entries);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(0xba55ed50, 0);
  header.writeUInt16LE(1, 4);
  header.writeUInt16LE(16, 6);
  header.writeBigUInt64LE(BigInt(body.length), 8);
  return Buffer.concat([header, body]);
}

/** A minimal ELF64 file: header, the given sections' data, a section-name table, then the section headers. */
function elfWith(sections: Record<string, Buffer>): Buffer {
  const names = Object.keys(sections);
  const nameTable = Buffer.from(`\0${names.join('\0')}\0.shstrtab\0`, 'latin1');
  const parts: Buffer[] = [Buffer.alloc(64)];
  let offset = 64;
  const placed = names.map((name) => {
    const data = sections[name]!;
    parts.push(data);
    const at = { offset, size: data.length };
    offset += data.length;
    return at;
  });
  const nameTableOffset = offset;
  parts.push(nameTable);
  offset += nameTable.length;
  const headers = Buffer.alloc(64 * (names.length + 2)); // null section, the sections, .shstrtab
  let nameAt = 1;
  placed.forEach((at, i) => {
    const h = 64 * (i + 1);
    headers.writeUInt32LE(nameAt, h);
    headers.writeBigUInt64LE(BigInt(at.offset), h + 24);
    headers.writeBigUInt64LE(BigInt(at.size), h + 32);
    nameAt += names[i]!.length + 1;
  });
  const last = 64 * (names.length + 1);
  headers.writeUInt32LE(nameAt, last);
  headers.writeBigUInt64LE(BigInt(nameTableOffset), last + 24);
  headers.writeBigUInt64LE(BigInt(nameTable.length), last + 32);
  const elf = Buffer.concat([...parts, headers]);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little-endian
  elf.writeBigUInt64LE(BigInt(offset), 0x28);
  elf.writeUInt16LE(64, 0x3a);
  elf.writeUInt16LE(names.length + 2, 0x3c);
  elf.writeUInt16LE(names.length + 1, 0x3e);
  return elf;
}

describe('keepOneArch', () => {
  const fatbin = Buffer.concat([
    container([entry(2, 80, 40, 0xaa), entry(2, 90, 48, 0xbb), entry(1, 80, 24, 0xcc)]),
    Buffer.alloc(8), // padding between containers
    container([entry(2, 120, 32, 0xdd), entry(2, 90, 16, 0xee)]),
  ]);
  const text = Buffer.alloc(32, 0x11);

  it('zeroes the cubins of the other architectures and keeps everything else byte for byte', () => {
    const original = elfWith({ '.text': text, '.nv_fatbin': fatbin });
    const elf = Buffer.from(original);
    const summary = keepOneArch(elf, 90);
    assert.equal(elf.length, original.length);
    assert.deepEqual([...summary.cubinBytesBySm].sort(), [[120, 32], [80, 40], [90, 64]].sort());
    assert.equal(summary.zeroedBytes, 40 + 32);
    const section = findFatbinSection(elf);
    const after = elf.subarray(section.offset, section.end);
    const count = (byte: number) => after.filter((b) => b === byte).length;
    assert.equal(count(0xaa), 0); // sm_80 cubin
    assert.equal(count(0xdd), 0); // sm_120 cubin
    assert.equal(count(0xbb), 48); // sm_90, both containers
    assert.equal(count(0xee), 16);
    assert.equal(count(0xcc), 24); // PTX stays: the driver can compile it
    const differing = [...elf.keys()].filter((i) => elf[i] !== original[i]);
    assert.ok(differing.every((i) => i >= section.offset && i < section.end), 'a byte outside .nv_fatbin changed');
    assert.ok(differing.every((i) => original[i] === 0xaa || original[i] === 0xdd), 'a header or kept payload changed');
  });

  it('refuses an architecture the library has no cubin for, changing nothing', () => {
    const elf = elfWith({ '.nv_fatbin': fatbin });
    const before = Buffer.from(elf);
    assert.throws(() => keepOneArch(elf, 100), /no cubin for sm_100 in the library \(it has: sm_80, sm_90, sm_120\)/);
    assert.deepEqual(elf, before);
  });

  it('names what is wrong with a file that is no CUDA library', () => {
    assert.throws(() => keepOneArch(Buffer.from('{"name": "not an ELF file at all, just text"}'), 90), /not a 64-bit little-endian ELF/);
    assert.throws(() => keepOneArch(elfWith({ '.text': text }), 90), /no \.nv_fatbin section/);
  });
});
