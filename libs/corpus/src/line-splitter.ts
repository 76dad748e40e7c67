import { isUtf8 } from 'node:buffer';

/** One line of a file, without its line break, with its 1-based number and starting byte offset. */
export interface Line {
  readonly text: string;
  /** 1-based line number; 0 when unknown (a range read that starts mid-file without `firstLine`). */
  readonly number: number;
  readonly byteOffset: number;
  /** False when the bytes are not valid UTF-8 (the text then holds U+FFFD replacements). */
  readonly validUtf8: boolean;
  /** True when the line was longer than the splitter's limit: its bytes were dropped and `text` is ''. */
  readonly tooLong?: boolean;
}

export interface LineSplitterOptions {
  /** Offset in the stream of the first byte handed to `split` (default 0). */
  readonly offset?: number;
  /** Number of the first line (default 1); 0 means unknown: every line is then numbered 0. */
  readonly firstLine?: number;
  /** The stream starts at the start of the file, so a UTF-8 BOM there is skipped (default true). */
  readonly atFileStart?: boolean;
  /** The stream may start inside a line: drop bytes through the first LF (default false). */
  readonly resync?: boolean;
  /** Lines longer than this many bytes are reported `tooLong` instead of held in memory (default 64 MiB). */
  readonly maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines, keeping the byte offset of every line: shards are byte ranges,
 * which node:readline cannot report. Accepts LF and CRLF (the CR is dropped) and a last line without
 * a newline; skips a BOM at the start of the file (it still counts in the offsets). Synchronous, so
 * a reader pays one await per chunk rather than one per line. Memory is one chunk plus the longest
 * line, and lines past `maxLineBytes` are dropped rather than buffered, so a file with no newlines
 * (a wrong format, a binary) cannot exhaust memory.
 */
export class LineSplitter {
  private pending: Buffer = EMPTY;
  private offset: number;
  private number: number;
  private readonly step: number;
  private checkBom: boolean;
  private resyncing: boolean;
  private readonly maxLineBytes: number;
  /** Bytes of the current line dropped because it is too long (-1: not dropping). */
  private dropped = -1;

  constructor(options: LineSplitterOptions = {}) {
    this.offset = options.offset ?? 0;
    this.number = options.firstLine ?? 1;
    this.step = this.number === 0 ? 0 : 1;
    this.checkBom = options.atFileStart ?? true;
    this.resyncing = options.resync ?? false;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Offset of the first byte not yet returned as part of a line: where a cut-off stream lost data. */
  get nextOffset(): number {
    return this.offset;
  }

  /** Number the next line will get. */
  get nextLine(): number {
    return this.number;
  }

  /** The complete lines that end in this chunk. */
  split(chunk: Buffer): Line[] {
    let buffer = chunk;
    if (this.resyncing) {
      const newline = buffer.indexOf(LF);
      if (newline === -1) {
        this.offset += buffer.length;
        return [];
      }
      this.resyncing = false;
      this.offset += newline + 1;
      buffer = buffer.subarray(newline + 1);
    }
    if (this.pending.length > 0) buffer = Buffer.concat([this.pending, buffer]);
    if (this.checkBom) {
      if (buffer.length < BOM.length && BOM.subarray(0, buffer.length).equals(buffer)) {
        this.pending = Buffer.from(buffer);
        return [];
      }
      this.checkBom = false;
      if (buffer.subarray(0, BOM.length).equals(BOM)) {
        buffer = buffer.subarray(BOM.length);
        this.offset += BOM.length;
      }
    }
    const lines: Line[] = [];
    let start = 0;
    for (let end = buffer.indexOf(LF); end !== -1; end = buffer.indexOf(LF, start)) {
      lines.push(this.take(buffer, start, end));
      start = end + 1;
    }
    this.keep(buffer, start);
    return lines;
  }

  /** The last line, when the stream did not end with a newline. */
  finish(): Line | undefined {
    if (this.resyncing || (this.pending.length === 0 && this.dropped < 0)) return undefined;
    const line = this.take(this.pending, 0, this.pending.length);
    this.pending = EMPTY;
    return line;
  }

  private take(buffer: Buffer, start: number, end: number): Line {
    const byteOffset = this.offset;
    const number = this.number;
    this.number += this.step;
    if (this.dropped >= 0) {
      this.offset += this.dropped + end - start + 1;
      this.dropped = -1;
      return { text: '', number, byteOffset, validUtf8: true, tooLong: true };
    }
    this.offset += end - start + 1;
    const stop = end > start && buffer[end - 1] === CR ? end - 1 : end;
    if (stop - start > this.maxLineBytes)
      return { text: '', number, byteOffset, validUtf8: true, tooLong: true };
    // isUtf8 + toString is two native passes, much cheaper than a fatal TextDecoder throwing per bad line.
    const validUtf8 = isUtf8(buffer.subarray(start, stop));
    return { text: buffer.toString('utf8', start, stop), number, byteOffset, validUtf8 };
  }

  /** Holds the unfinished tail of a chunk (copied, so the chunk itself can be freed). */
  private keep(buffer: Buffer, start: number): void {
    const rest = buffer.length - start;
    if (this.dropped >= 0 || rest > this.maxLineBytes) {
      this.dropped = Math.max(this.dropped, 0) + rest;
      this.pending = EMPTY;
      return;
    }
    this.pending = rest === 0 ? EMPTY : Buffer.from(buffer.subarray(start));
  }
}
