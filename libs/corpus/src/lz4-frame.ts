/**
 * An LZ4 frame decoder (the LZ4 Frame Format 1.6.x: lz4/doc/lz4_Frame_format.md), for the LZ4_FRAME
 * buffers of compressed Arrow IPC record batches (pyarrow's default for `feather.write_feather`).
 *
 * Written here rather than taken from npm: the pure-JS packages that decode LZ4 frames are unmaintained
 * (lz4js's last release was 2017) or native (lz4-napi, lz4 with node-gyp), and Parquet's LZ4 support in
 * hyparquet-compressors decodes raw blocks, not frames. The format is small: a header, then blocks that
 * are stored as is or hold LZ4 sequences (literals, then a match copied from earlier output).
 *
 * Every read and copy is bounds-checked, and the output must come out exactly `output.length` bytes (the
 * size Arrow records for the buffer), so damaged data is an error rather than garbage or an overrun.
 * Checksums (block and content, xxHash32) are skipped, not verified: Arrow's writer does not set them.
 */

const FRAME_MAGIC = 0x184d2204;
/** Copies shorter than this are done byte by byte: a subarray plus set() or copyWithin() costs more there. */
const SHORT_COPY = 32;

/** Decodes the LZ4 frame(s) in `input` into `output`, which they must fill exactly. */
export function decompressLz4Frame(input: Uint8Array, output: Uint8Array): void {
  let pos = 0;
  let out = 0;
  const fail = (problem: string, at = pos): never => {
    throw new Error(`LZ4 frame: ${problem} (at input byte ${at} of ${input.length})`);
  };
  const u32 = (at: number): number => {
    if (at + 4 > input.length) fail('data ends early');
    return (input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24)) >>> 0;
  };
  if (input.length === 0) fail('no data');
  while (pos < input.length) {
    const magic = u32(pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame: a size, then that many bytes to ignore.
      pos += 8 + u32(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) fail(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
    pos += 4;
    if (pos + 2 > input.length) fail('header ends early');
    const flags = input[pos]!;
    if (flags >> 6 !== 1) fail(`unsupported frame version ${flags >> 6}`);
    if (flags & 1) fail('frame needs a dictionary');
    const blockChecksums = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    pos += 2 + (contentSize ? 8 : 0) + 1; // FLG, BD, content size, header checksum
    for (;;) {
      const word = u32(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (pos + size > input.length) fail(`block of ${size} bytes runs past the data`);
      if (word & 0x80000000) {
        if (out + size > output.length) fail(`output exceeds the expected ${output.length} bytes`);
        output.set(input.subarray(pos, pos + size), out);
        out += size;
      } else {
        out = decodeBlock(input, pos, pos + size, output, out, fail);
      }
      pos += size + (blockChecksums ? 4 : 0);
    }
    pos += contentChecksum ? 4 : 0;
  }
  if (pos > input.length) fail('data ends early');
  if (out !== output.length) fail(`decoded ${out} bytes, expected ${output.length}`);
}

/**
 * Decodes one LZ4 block, input[start, end), into output from `out`; returns the new output position.
 * Matches may reach back into earlier blocks (linked blocks), which are already in `output`.
 */
function decodeBlock(
  input: Uint8Array,
  start: number,
  end: number,
  output: Uint8Array,
  out: number,
  fail: (problem: string, at: number) => never,
): number {
  // No closure over `pos` (a length reader was one): a captured variable lives in a context, and every
  // access to it in this hot loop then goes through that context. So `fail` is told where the problem is.
  let pos = start;
  while (pos < end) {
    const token = input[pos++]!;
    let literals = token >> 4;
    if (literals === 15) {
      let byte;
      do {
        if (pos >= end) fail('block ends inside a length', pos);
        byte = input[pos++]!;
        literals += byte;
      } while (byte === 255);
    }
    if (pos + literals > end) fail('literals run past the block', pos);
    if (out + literals > output.length) fail(`output exceeds the expected ${output.length} bytes`, pos);
    // Most literal runs and matches are a few bytes: a loop beats a subarray plus set / copyWithin there.
    if (literals < SHORT_COPY) for (let i = 0; i < literals; i++) output[out + i] = input[pos + i]!;
    else output.set(input.subarray(pos, pos + literals), out);
    pos += literals;
    out += literals;
    if (pos === end) break; // the last sequence has literals only
    if (pos + 2 > end) fail('block ends inside a match offset', pos);
    const offset = input[pos]! | (input[pos + 1]! << 8);
    if (offset === 0 || offset > out) fail(`match offset ${offset} reaches before the output's start`, pos);
    pos += 2;
    let match = token & 15;
    if (match === 15) {
      let byte;
      do {
        if (pos >= end) fail('block ends inside a length', pos);
        byte = input[pos++]!;
        match += byte;
      } while (byte === 255);
    }
    match += 4;
    if (out + match > output.length) fail(`output exceeds the expected ${output.length} bytes`, pos);
    if (offset >= match && match >= SHORT_COPY) {
      output.copyWithin(out, out - offset, out - offset + match);
    } else {
      // Short, or overlapping (the match repeats the last `offset` bytes): byte by byte, forwards.
      for (let i = 0; i < match; i++) output[out + i] = output[out - offset + i]!;
    }
    out += match;
  }
  return out;
}
