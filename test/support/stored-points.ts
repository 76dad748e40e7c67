import assert from 'node:assert/strict';
import { loadEnv } from '@embedline/config';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { openStore, type VectorStore } from '@embedline/store';

const quiet = { info: () => undefined, warn: () => undefined };

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

/**
 * Every expected id stored once and nothing else, in the store `env` names; the vectors of a sample
 * equal the bundled reference model's output for the same text.
 */
export async function assertStoredExactlyOnce(env: Record<string, string>, collection: string, entries: [string, string][]) {
  const expectedIds = entries.map(([id]) => id);
  const store = await openStore(loadEnv(env));
  try {
    const { ids, vectors } = await readAllPoints(store, collection);
    assert.deepEqual(repeated(ids), [], 'no id stored twice');
    assert.deepEqual([...ids].sort(), [...expectedIds].sort(), 'stored ids are exactly the accepted ids');
    // Vectors equal what the encoder gives for the same text.
    const sample = entries.filter((_, i) => i % 97 === 0);
    const encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR }, quiet);
    try {
      const expected = await encoder.encode(sample.map(([, text]) => text));
      sample.forEach(([id], row) => {
        const stored = vectors.get(id)!;
        const want = expected.vectors.subarray(row * expected.dimension, (row + 1) * expected.dimension);
        stored.forEach((value, d) => assert.ok(Math.abs(value - want[d]!) < 1e-6, `vector of ${id}`));
      });
    } finally {
      await encoder.close();
    }
  } finally {
    await store.close();
  }
}
