import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LanceDbStore, toRecordBatch, type VectorStore } from '@embedline/store';
import { MemoryIndex, type MemoryIndexLogger } from './memory-index.ts';
import { randomUnitVectors } from '@embedline/testing';

const DIMENSION = 8;
const MiB = 2 ** 20;

function batchOf(first: number, count: number, seed: number) {
  const ids = Array.from({ length: count }, (_, i) => String(first + i));
  const vectors = randomUnitVectors(count, DIMENSION, seed);
  const batch = toRecordBatch({
    ids,
    vectors,
    dimension: DIMENSION,
    texts: ids.map((id) => `passage ${id}`),
    payloads: ids.map(() => null),
  });
  return { ids, vectors, batch };
}

/** Asks for the resident copy until `ready` holds for it (loads happen in the background). */
async function until<T>(probe: () => T, ready: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = probe();
    if (ready(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: MemoryIndexLogger = {
    info: (_details, message) => lines.push(message),
    warn: (_details, message) => lines.push(message),
  };
  return { lines, logger };
}

describe('MemoryIndex', () => {
  let dir: string;
  let store: LanceDbStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'memory-index-'));
    store = new LanceDbStore({ uri: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('holds a finalized collection, drops it on a write, and holds the new version after finalize', async () => {
    const { lines, logger } = recordingLogger();
    const index = await MemoryIndex.create(store, {
      budgetBytes: 16 * MiB,
      refreshMs: 0,
      threads: 1,
      logger,
    });
    try {
      await store.createCollection('docs', { dimension: DIMENSION });
      const first = batchOf(0, 300, 1);
      await store.upsert('docs', first.batch);
      // Not finalized: a bulk load in progress is searched in the store.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(index.resident('docs'), undefined);

      await store.finalize('docs');
      const resident = await until(
        () => index.resident('docs'),
        (r) => r !== undefined,
        'the first load',
      );
      assert.equal(resident!.points, 300);
      const query = first.vectors.slice(42 * DIMENSION, 43 * DIMENSION);
      const [hits] = await index.search(resident!, [query], 5, true);
      const exact = await store.search('docs', query, { topK: 5, exact: true, withPayload: true });
      assert.deepEqual(
        hits!.map((hit) => hit.id),
        exact.map((hit) => hit.id),
      );
      assert.deepEqual(hits![0]!.payload, { text: 'passage 42' });
      assert.deepEqual(
        index.usage().map(({ collection, points }) => [collection, points]),
        [['docs', 300]],
      );
      assert.ok(lines.includes('memory index: collection resident'));

      const second = batchOf(300, 10, 2);
      await store.upsert('docs', second.batch);
      await until(
        () => index.resident('docs'),
        (r) => r === undefined,
        'the stale copy to go',
      );
      await store.finalize('docs');
      const reloaded = await until(
        () => index.resident('docs'),
        (r) => r?.points === 310,
        'the reload',
      );
      const [newHits] = await index.search(
        reloaded!,
        [second.vectors.slice(3 * DIMENSION, 4 * DIMENSION)],
        1,
        false,
      );
      assert.equal(newHits![0]!.id, '303');
    } finally {
      await index.close();
    }
  });

  test('a collection larger than the budget stays in the store, and says so once', async () => {
    const { lines, logger } = recordingLogger();
    const index = await MemoryIndex.create(store, { budgetBytes: 4000, refreshMs: 0, threads: 1, logger });
    try {
      await store.createCollection('large', { dimension: DIMENSION });
      await store.upsert('large', batchOf(0, 500, 3).batch);
      await store.finalize('large');
      await until(
        () => (index.resident('large'), lines.length),
        (n) => n > 0,
        'the skip',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(index.resident('large'), undefined);
      assert.deepEqual(lines, [
        'memory index: collection larger than the budget left; searched in the store',
      ]);
    } finally {
      await index.close();
    }
  });

  test('collections that fit the budget one at a time but not together: loads queue, and the second is refused', async () => {
    const { lines, logger } = recordingLogger();
    for (const name of ['pair-a', 'pair-b']) {
      await store.createCollection(name, { dimension: DIMENSION });
      await store.upsert(name, batchOf(0, 300, 4).batch);
      await store.finalize(name);
    }
    // ~47 KB each (vectors, ids, texts): one fits in 70 KB, two do not.
    const index = await MemoryIndex.create(store, {
      budgetBytes: 70_000,
      refreshMs: 60_000,
      threads: 1,
      logger,
    });
    try {
      index.resident('pair-a');
      index.resident('pair-b');
      await until(
        () => lines.length,
        (n) => n >= 2,
        'both loads to end',
      );
      const held = index.usage();
      assert.equal(held.length, 1, JSON.stringify(held));
      assert.ok(held[0]!.bytes <= 70_000);
      assert.deepEqual(lines.sort(), [
        'memory index: collection larger than the budget left; searched in the store',
        'memory index: collection resident',
      ]);
    } finally {
      await index.close();
    }
  });

  test('stores without versions (Qdrant), missing collections and a zero budget are never held', async () => {
    let described = 0;
    const unversioned = {
      describe: async (name: string) => {
        described += 1;
        return { name, dimension: DIMENSION, distance: 'dot' as const, count: 1, finalized: true };
      },
    } as unknown as VectorStore;
    const index = await MemoryIndex.create(unversioned, { budgetBytes: MiB, refreshMs: 0, threads: 1 });
    await until(
      () => (index.resident('q'), described),
      (n) => n >= 2,
      'two version checks',
    );
    assert.equal(index.resident('q'), undefined);
    await index.close();

    // Names of no collection are forgotten once checked: made-up names cannot fill the index's map.
    const missing = await MemoryIndex.create(store, { budgetBytes: MiB, refreshMs: 60_000, threads: 1 });
    for (let i = 0; i < 50; i++) assert.equal(missing.resident(`made-up-${i}`), undefined);
    const tracked = (missing as unknown as { tracked: Map<string, unknown> }).tracked;
    await until(
      () => tracked.size,
      (size) => size === 0,
      'the made-up names to be forgotten',
    );
    await missing.close();

    const off = await MemoryIndex.create(unversioned, { budgetBytes: 0, threads: 1 });
    described = 0;
    assert.equal(off.resident('q'), undefined);
    assert.equal(described, 0);
    await off.close();
  });
});
