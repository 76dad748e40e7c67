import { readFile, writeFile } from 'node:fs/promises';
import { parseQrels } from './qrels.ts';
import { formatTrecRun, parseRun, type TrecRunOptions } from './trec-run.ts';
import type { ScoredId } from './top-k-heap.ts';

/** Reads and parses a qrels file; parse errors are prefixed with the path. */
export async function readQrels(path: string): Promise<Map<string, Map<string, number>>> {
  return withPath(path, parseQrels, await readFile(path, 'utf8'));
}

/** Reads and parses a TREC run file; parse errors are prefixed with the path. */
export async function readRun(path: string): Promise<Map<string, Map<string, number>>> {
  return withPath(path, parseRun, await readFile(path, 'utf8'));
}

/** Writes search results as a TREC run file (see `formatTrecRun`). */
export async function writeTrecRun(
  path: string,
  results: readonly (readonly ScoredId[])[],
  options: TrecRunOptions,
): Promise<void> {
  await writeFile(path, formatTrecRun(results, options), 'utf8');
}

function withPath<T>(path: string, parse: (text: string) => T, text: string): T {
  try {
    return parse(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
