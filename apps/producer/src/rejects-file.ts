import { createWriteStream, type WriteStream } from 'node:fs';
import type { RejectedRecord } from '@embedline/corpus';

/** Rejected records as JSONL (source, line, byte offset, kind, reason), with counts by kind for the summary. */
export class RejectsFile {
  private stream?: WriteStream;
  private readonly counts = new Map<string, number>();

  constructor(
    readonly path: string,
    private readonly source: string,
  ) {}

  write(rejected: RejectedRecord): void {
    this.stream ??= createWriteStream(this.path);
    const kind = (rejected as { kind?: string }).kind ?? 'rejected';
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.stream.write(`${JSON.stringify({ source: this.source, ...rejected })}\n`);
  }

  /** ` (no-separator 2, empty-text 1; see FILE)`, or nothing when all records were accepted. */
  describe(): string {
    if (this.counts.size === 0) return '';
    const parts = [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`);
    return ` (${parts.join(', ')}; see ${this.path})`;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
