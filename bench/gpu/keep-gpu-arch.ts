/**
 * Shrinks a CUDA shared library for one GPU architecture by zeroing, in its `.nv_fatbin` section, the machine code
 * (cubins) built for every other architecture. Offsets, sizes and headers stay as they are, so the library loads
 * exactly as before on a GPU of that architecture; the zeroed bytes compress to nothing. Why: onnxruntime's CUDA
 * provider is 272 MB (178 MB compressed), four fifths of it cubins for sm_75..sm_120, and an offline GPU machine
 * reached through a size-limited transfer needs only its own (sm_90 for H100/H200: 51 MB compressed).
 * PTX entries are kept: the driver can compile them for a newer GPU.
 *
 *   npx tsx bench/gpu/keep-gpu-arch.ts IN.so OUT.so SM      (SM as nvcc writes it: 90 for sm_90, 120 for sm_120)
 *
 * Only for moving the library to a machine whose GPU architecture is known; the result runs on no other GPU.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FATBIN_MAGIC = 0xba55ed50;
const ENTRY_KIND_CUBIN = 2;

export interface ArchSummary {
  /** Bytes of cubin payload per architecture (sm number), before zeroing. */
  readonly cubinBytesBySm: ReadonlyMap<number, number>;
  readonly zeroedBytes: number;
}

/** The `.nv_fatbin` section's [offset, end) in an ELF64 little-endian file. */
export function findFatbinSection(elf: Buffer): { offset: number; end: number } {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error('not a 64-bit little-endian ELF file');
  }
  const sectionHeaders = Number(elf.readBigUInt64LE(0x28));
  const entrySize = elf.readUInt16LE(0x3a);
  const count = elf.readUInt16LE(0x3c);
  const names = sectionAt(elf, sectionHeaders + elf.readUInt16LE(0x3e) * entrySize);
  for (let i = 0; i < count; i++) {
    const header = sectionHeaders + i * entrySize;
    const nameStart = names.offset + elf.readUInt32LE(header);
    const name = elf.toString('latin1', nameStart, elf.indexOf(0, nameStart));
    if (name === '.nv_fatbin') return sectionAt(elf, header);
  }
  throw new Error('no .nv_fatbin section: not a library with CUDA machine code');
}

function sectionAt(elf: Buffer, header: number): { offset: number; end: number } {
  const offset = Number(elf.readBigUInt64LE(header + 24));
  return { offset, end: offset + Number(elf.readBigUInt64LE(header + 32)) };
}

/**
 * Zeroes, in place, every cubin in the fatbin section that is not for `keepSm`. Refuses (before changing anything)
 * when the section holds no cubin for `keepSm`, since the result would run on no GPU at all.
 */
export function keepOneArch(elf: Buffer, keepSm: number): ArchSummary {
  const section = findFatbinSection(elf);
  const cubinBytesBySm = new Map<number, number>();
  const others: Array<[number, number]> = [];
  forEachEntry(elf, section, (entry) => {
    if (entry.kind !== ENTRY_KIND_CUBIN) return;
    cubinBytesBySm.set(entry.sm, (cubinBytesBySm.get(entry.sm) ?? 0) + entry.payloadEnd - entry.payloadStart);
    if (entry.sm !== keepSm) others.push([entry.payloadStart, entry.payloadEnd]);
  });
  if (!cubinBytesBySm.has(keepSm)) {
    const found = [...cubinBytesBySm.keys()].map((sm) => `sm_${sm}`).join(', ') || 'none';
    throw new Error(`no cubin for sm_${keepSm} in the library (it has: ${found})`);
  }
  let zeroedBytes = 0;
  for (const [start, end] of others) {
    elf.fill(0, start, end);
    zeroedBytes += end - start;
  }
  return { cubinBytesBySm, zeroedBytes };
}

interface FatbinEntry {
  readonly kind: number;
  readonly sm: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

/** Walks the fatbin containers packed one after another (8-byte aligned) in the section, and their entries. */
function forEachEntry(elf: Buffer, section: { offset: number; end: number }, visit: (entry: FatbinEntry) => void): void {
  let at = section.offset;
  while (at + 16 <= section.end) {
    if (elf.readUInt32LE(at) !== FATBIN_MAGIC) {
      at += 8; // padding between containers
      continue;
    }
    const entriesStart = at + elf.readUInt16LE(at + 6);
    const entriesEnd = entriesStart + Number(elf.readBigUInt64LE(at + 8));
    if (entriesEnd > section.end) throw new Error(`fatbin container at ${at} runs past the section's end`);
    for (let entry = entriesStart; entry < entriesEnd; ) {
      const headerSize = elf.readUInt32LE(entry + 4);
      const payloadEnd = entry + headerSize + Number(elf.readBigUInt64LE(entry + 8));
      if (headerSize < 32 || payloadEnd > entriesEnd) throw new Error(`malformed fatbin entry at ${entry}`);
      visit({ kind: elf.readUInt16LE(entry), sm: elf.readUInt32LE(entry + 28), payloadStart: entry + headerSize, payloadEnd });
      entry = payloadEnd;
    }
    at = entriesEnd;
  }
}

function main(args: string[]): number {
  const [input, output, sm] = args;
  if (input === undefined || output === undefined || !/^\d+$/.test(sm ?? '')) {
    console.error('usage: keep-gpu-arch.ts IN.so OUT.so SM   (e.g. 90 for H100/H200)');
    return 2;
  }
  const elf = readFileSync(input);
  const summary = keepOneArch(elf, Number(sm));
  writeFileSync(output, elf);
  const bySm = [...summary.cubinBytesBySm].map(([arch, bytes]) => `sm_${arch} ${(bytes / 1e6).toFixed(1)} MB`).join(', ');
  console.error(`${input}: cubins ${bySm}; kept sm_${sm}, zeroed ${(summary.zeroedBytes / 1e6).toFixed(1)} MB -> ${output}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`keep-gpu-arch: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
