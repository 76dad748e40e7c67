import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { readProblem } from './read-problem.ts';

/**
 * When a whole file is gunzipped: `by-name` when its name ends .gz (query sets, whose format comes from
 * the name), `by-magic` when it starts with gzip's magic bytes (qrels, which have no format in the name).
 */
export type GunzipWhen = 'by-name' | 'by-magic';

/**
 * Reads a small input file (a query set, qrels) whole, gunzipped as `when` says. A problem is thrown as
 * `fail(problem, cause)`, so that each loader raises its own error class with the same words:
 * `no such file`, `is a folder, not a file`, `not a readable gzip file (...)`.
 */
export async function readWholeFile(
  path: string,
  when: GunzipWhen,
  fail: (problem: string, cause: unknown) => Error,
): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fail(readProblem(error, 'is a folder, not a file'), error);
  }
  if (!isGzipped(path, bytes, when)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw fail(`not a readable gzip file (${(error as Error).message})`, error);
  }
}

function isGzipped(path: string, bytes: Buffer, when: GunzipWhen): boolean {
  if (when === 'by-name') return path.toLowerCase().endsWith('.gz');
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}
