import type { Table } from '@lancedb/lancedb';
import type { Utf8, Vector } from 'apache-arrow';

/** Row ids deleted per commit: keeps each delete's predicate (and its commit) small. */
const DELETE_CHUNK = 1000;

/** Id hashes held at once while looking for duplicates: 2M (16 MiB), the IVF training sample's budget. */
export const DEFAULT_HASHES_PER_PASS = 2 ** 21;

/**
 * Deletes every stored copy of an id but the one with the highest row id (the most recently
 * written fragment: appends made during an ingest, before finalize compacts). Returns how many
 * rows it deleted. Copies appear only when a `firstWrite` claim was wrong (two workers holding the
 * same shard after a lost lock, or Redis lost its data between a shard's write and its record).
 *
 * Two steps over the `id` column, so memory stays small at MS MARCO scale: first a 52-bit hash of
 * every id (8 bytes a row, sorted; equal neighbours are candidates), then the exact ids of the
 * candidate rows only. Ids are hashed from the column's UTF-8 bytes, so the first step decodes no id
 * into a JS string (8.8M of them at MS MARCO scale); only candidates are decoded. The first step
 * holds at most `hashesPerPass` hashes at once: a larger table is read once per slice of the hash
 * space (8.8M rows: 5 reads of the column, 16 MiB of hashes, where one read would hold 70 MiB).
 * Hand-written because LanceDB's JS API has no GROUP BY.
 */
export async function removeDuplicateIds(
  table: Table,
  retry: <T>(operation: () => Promise<T>) => Promise<T>,
  hashesPerPass = DEFAULT_HASHES_PER_PASS,
): Promise<number> {
  const candidates = await duplicatedHashes(table, hashesPerPass);
  if (candidates.size === 0) return 0;
  const rowsById = new Map<string, bigint[]>();
  for await (const batch of table.query().select(['id']).withRowId()) {
    const ids = batch.getChild('id') as Vector<Utf8>;
    const rowIds = batch.getChild('_rowid')!;
    forEachIdHash(ids, (hash, row) => {
      if (!candidates.has(hash)) return;
      const id = ids.get(row)!;
      const rows = rowsById.get(id) ?? [];
      rows.push(rowIds.get(row) as bigint);
      rowsById.set(id, rows);
    });
  }
  const extra: bigint[] = [];
  for (const rows of rowsById.values()) {
    if (rows.length < 2) continue;
    rows.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    extra.push(...rows.slice(0, -1));
  }
  for (let start = 0; start < extra.length; start += DELETE_CHUNK) {
    const chunk = extra.slice(start, start + DELETE_CHUNK);
    await retry(() => table.delete(`_rowid IN (${chunk.join(', ')})`));
  }
  return extra.length;
}

async function duplicatedHashes(table: Table, hashesPerPass: number): Promise<Set<number>> {
  const rows = await table.countRows();
  const passes = Math.max(1, Math.ceil(rows / hashesPerPass));
  const duplicated = new Set<number>();
  for (let pass = 0; pass < passes; pass++) {
    // Each slice of the hash space gets ~rows/passes hashes; sized for that plus a margin, so that it
    // is rarely doubled (and copied) as it fills.
    const expected = passes === 1 ? rows : Math.ceil((rows / passes) * 1.05);
    const sorted = (await sliceHashes(table, pass, passes, expected)).sort();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) duplicated.add(sorted[i]!);
  }
  return duplicated;
}

/** The hashes of the ids whose hash falls in slice `pass` of `passes`, unsorted. */
async function sliceHashes(
  table: Table,
  pass: number,
  passes: number,
  expected: number,
): Promise<Float64Array> {
  let hashes = new Float64Array(Math.max(1, expected));
  let count = 0;
  for await (const batch of table.query().select(['id'])) {
    forEachIdHash(batch.getChild('id') as Vector<Utf8>, (hash) => {
      if (hashSlice(hash, passes) !== pass) return;
      if (count === hashes.length) {
        const grown = new Float64Array(hashes.length * 2);
        grown.set(hashes);
        hashes = grown;
      }
      hashes[count++] = hash;
    });
  }
  return hashes.subarray(0, count);
}

/** Which of `passes` slices a hash belongs to: its high 32 bits (the first FNV pass) modulo passes. */
function hashSlice(hash: number, passes: number): number {
  return Math.floor(hash / 2 ** 20) % passes;
}

/** Calls `visit` with the hash of every id of a Utf8 column and its row in the column, in order. */
function forEachIdHash(ids: Vector<Utf8>, visit: (hash: number, row: number) => void): void {
  let row = 0;
  for (const chunk of ids.data) {
    const { values, valueOffsets } = chunk;
    for (let i = 0; i < chunk.length; i++)
      visit(bytesHash(values, valueOffsets[i]!, valueOffsets[i + 1]!), row++);
  }
}

/** The hash finalize gives an id: that of its UTF-8 bytes. */
export function idHash(id: string): number {
  const bytes = new TextEncoder().encode(id);
  return bytesHash(bytes, 0, bytes.length);
}

/** Two FNV-1a passes with different offsets over bytes[start, end), joined into a 52-bit integer (exact in a double). */
function bytesHash(bytes: Uint8Array, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193);
  }
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) & 0xfffff);
}
