import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { ReadResult, RejectedRecord } from './corpus-record.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { formatSummary, type RejectCounts } from './reject-summary.ts';

export interface RejectsWriterOptions {
  /** The corpus the rejects come from, written in every line (`source`). */
  readonly source: string;
  /** Add to an existing file instead of starting it afresh (default false: a rerun's file holds that run only). */
  readonly append?: boolean;
}

/**
 * The rejects file: one JSON line per rejected record, `{ source, line, byteOffset, kind, reason }`,
 * with counts by kind for the run summary. Streaming: `write` and `add` resolve once the file can
 * take more, so a caller that awaits them holds at most one stream buffer (16 KiB) of rejects in
 * memory however many there are. The file is created (emptied) when opened: an empty file means
 * nothing was rejected, never a stale list from an earlier run.
 */
export class RejectsWriter {
  private readonly byKind: RejectCounts = {};
  private rejectedCount = 0;
  private acceptedCount = 0;
  private failure: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly source: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (error) => (this.failure ??= error));
  }

  /** Creates (or with `append`, opens) the file; fails at once when it cannot be written. */
  static async open(path: string, options: RejectsWriterOptions): Promise<RejectsWriter> {
    const stream = createWriteStream(path, { flags: options.append ? 'a' : 'w' });
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new CorpusError(path, `cannot write the rejects file: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new RejectsWriter(path, options.source, stream);
  }

  /** Rejects so far, by kind. */
  get counts(): RejectCounts {
    return { ...this.byKind };
  }

  /** Rejects so far. */
  get total(): number {
    return this.rejectedCount;
  }

  /** Accepted records counted so far (by `add` or `countAccepted`). */
  get accepted(): number {
    return this.acceptedCount;
  }

  /** Writes one reject; the promise resolves when the file can take the next. */
  async write(rejected: RejectedRecord): Promise<void> {
    if (this.failure) throw this.failure;
    this.byKind[rejected.kind] = (this.byKind[rejected.kind] ?? 0) + 1;
    this.rejectedCount += 1;
    const { line, byteOffset, kind, reason } = rejected;
    if (!this.stream.write(`${JSON.stringify({ source: this.source, line, byteOffset, kind, reason })}\n`)) {
      await once(this.stream, 'drain');
    }
  }

  /** Counts accepted records, for the summary. */
  countAccepted(count = 1): void {
    this.acceptedCount += count;
  }

  /** Takes a read result as it comes: counts an accepted record, writes a reject. */
  async add(result: ReadResult): Promise<void> {
    if (result.ok) this.acceptedCount += 1;
    else await this.write(result.rejected);
  }

  /** `accepted 4,990, rejected 10 (no-separator 2, empty-text 3, ...)`. */
  summary(): string {
    return formatSummary(this.acceptedCount, this.byKind);
  }

  /** Flushes and closes the file; rejects if any write failed. */
  async close(): Promise<void> {
    if (!this.stream.closed) {
      await new Promise<void>((resolve, reject) =>
        this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }
    if (this.failure) throw this.failure;
  }
}
