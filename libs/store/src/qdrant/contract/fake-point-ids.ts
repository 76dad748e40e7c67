// Point ids as Qdrant treats them: an unsigned integer or a UUID in any accepted spelling, with one
// canonical form for lookups, and numbers ordered before UUIDs (the scroll order).

export type PointId = number | string;

export function canonicalId(id: PointId): PointId {
  return typeof id === 'number' ? id : id.toLowerCase().replace(/^urn:uuid:/, '');
}

/** The Map key of a point: numbers and UUIDs get distinct prefixes, so the two kinds never collide. */
export function pointKey(id: PointId): string {
  const canonical = canonicalId(id);
  return typeof canonical === 'number' ? `n:${canonical}` : `u:${canonical}`;
}

export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
