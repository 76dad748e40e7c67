import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for Embedline's string ids; changing it would re-key every stored collection. */
const EMBEDLINE_NAMESPACE = '6f1d7c2e-4b8a-5e21-9c3d-0a7b5e9f1c42';
const NUMERIC_ID = /^(0|[1-9][0-9]*)$/;

/**
 * The store key of a corpus id, deterministic so that a retried or duplicated shard overwrites its
 * points instead of adding copies: a non-negative integer id that fits a double exactly (an MS MARCO
 * pid) is used as-is; any other id becomes its UUIDv5 (what Qdrant accepts besides unsigned integers).
 */
export function pointId(id: string): number | string {
  if (NUMERIC_ID.test(id)) {
    const value = Number(id);
    if (Number.isSafeInteger(value)) return value;
  }
  return stableUuid(id);
}

/**
 * The order of point ids among equal scores, every store's: numeric ids first, by value, then UUIDs by
 * their lower-case text (Qdrant's own order; Qdrant may answer UUIDs in either case).
 */
export function comparePointIds(a: number | string, b: number | string): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The UUIDv5 of any string in Embedline's namespace: the same key always gives the same UUID. */
export function stableUuid(key: string): string {
  return uuidv5(key, EMBEDLINE_NAMESPACE);
}
