import { createReadStream } from 'node:fs';

/** One line of a file, without its line break, with its 1-based number and starting byte offset. */
export interface Line {
  readonly text: string;
  readonly number: number;
  readonly byteOffset: number;
  /** False when the bytes are not valid UTF-8 (the text then holds U+FFFD replacements). */
  readonly validUtf8: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Streams a file line by line in constant memory. Written by hand rather than with node:readline
 * because readers must know the byte offset of every line (shards are byte ranges), which readline
 * does not report. Accepts LF and CRLF and a last line without a newline; strips a UTF-8 BOM.
 */
export async function* readLines(path: string): AsyncGenerator<Line> {
  let pending = Buffer.alloc(0);
  let offset = 0;
  let number = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    if (first) {
      first = false;
      if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
        buffer = buffer.subarray(3);
        offset = 3;
      }
    }
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      yield makeLine(buffer.subarray(start, end), ++number, offset);
      offset += end - start + 1;
      start = end + 1;
    }
    pending = Buffer.from(buffer.subarray(start));
  }
  if (pending.length > 0) yield makeLine(pending, ++number, offset);
}

function makeLine(bytes: Buffer, number: number, byteOffset: number): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  const content = bytes.subarray(0, end);
  try {
    return { text: strictUtf8.decode(content), number, byteOffset, validUtf8: true };
  } catch {
    return { text: content.toString('utf8'), number, byteOffset, validUtf8: false };
  }
}
