import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { ReadResult } from '../corpus-record.ts';
import { openCorpus, type OpenCorpusOptions } from '../open-corpus.ts';

/** A temp folder for one test file, removed when the file's tests end; `file` writes into it. */
export function tempFiles(): { dir: string; file: (name: string, content: string | Uint8Array) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-corpus-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Every result of a full read of `path`. */
export async function readAll(path: string, options?: OpenCorpusOptions): Promise<ReadResult[]> {
  return collect((await openCorpus(path, options)).read());
}

/** A result in one short line, for exact assertions: `ok <id> "<text>" @<line>:<offset>` or `<kind> @<line>:<offset>`. */
export function brief(result: ReadResult): string {
  if (result.ok) {
    const { id, text, line, byteOffset } = result.record;
    return `ok ${id} ${JSON.stringify(text)} @${line}:${byteOffset}`;
  }
  const { kind, line, byteOffset } = result.rejected;
  return `${kind} @${line}:${byteOffset}`;
}

export const okRecords = (results: readonly ReadResult[]) => results.flatMap((r) => (r.ok ? [r.record] : []));
export const rejects = (results: readonly ReadResult[]) => results.flatMap((r) => (r.ok ? [] : [r.rejected]));
