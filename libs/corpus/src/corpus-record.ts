/** One passage read from a corpus. */
export interface CorpusRecord {
  readonly id: string;
  readonly text: string;
  /** 1-based line where the record starts. */
  readonly line: number;
  /** Byte offset where the record starts, so a shard can be re-read from there. */
  readonly byteOffset: number;
}

/** A record that could not be read, with where and why; counted and reported, never dropped silently. */
export interface RejectedRecord {
  readonly line: number;
  readonly byteOffset: number;
  readonly reason: string;
}

export type ReadResult = { readonly ok: true; readonly record: CorpusRecord } | { readonly ok: false; readonly rejected: RejectedRecord };
