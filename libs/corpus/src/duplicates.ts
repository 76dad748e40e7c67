import { rejected, type ReadResult } from './corpus-record.ts';
import type { IdRegistry } from './id-registry.ts';

/**
 * Turns an accepted record whose id was seen before in this read into a 'duplicate-id' reject that
 * names where the id first appeared. The first occurrence wins: it is the one already handed on.
 * `unit` is what `line` counts: lines of a text file, rows of a columnar one.
 */
export function checkDuplicate(
  registry: IdRegistry | undefined,
  result: ReadResult,
  unit: 'line' | 'row' = 'line',
): ReadResult {
  if (registry === undefined || !result.ok) return result;
  const { id, line, byteOffset } = result.record;
  const first = registry.add(id, line);
  if (first === undefined) return result;
  const where = first > 0 ? `first seen on ${unit} ${first}` : 'seen earlier in this read';
  const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
  return rejected(line, byteOffset, 'duplicate-id', `duplicate id ${shown} (${where})`);
}
