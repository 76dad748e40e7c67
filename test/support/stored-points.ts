import type { VectorStore } from '@embedline/store';

/** Every stored point's id (with repeats, if any) and vector, read back through the store's scan. */
export async function readAllPoints(store: VectorStore, collection: string) {
  const ids: string[] = [];
  const vectors = new Map<string, Float32Array>();
  for await (const rows of store.scan(collection)) {
    rows.ids.forEach((id, i) => {
      ids.push(id);
      vectors.set(id, rows.vectors.slice(i * rows.dimension, (i + 1) * rows.dimension));
    });
  }
  return { ids, vectors };
}

/** Asserts-friendly: ids that appear more than once. */
export function repeated(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}
