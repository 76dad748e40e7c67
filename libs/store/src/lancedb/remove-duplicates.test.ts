import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { toRecordBatch } from '../embedded-batch.ts';
import { randomUnitVectors } from '@embedline/testing';
import { LanceDbStore } from './lancedb-store.ts';
import { idHash, removeDuplicateIds } from './remove-duplicates.ts';
import { connect } from '@lancedb/lancedb';

/** Runs `body` against a store in a fresh temporary folder, removed afterwards. */
async function withStore(body: (store: LanceDbStore, uri: string) => Promise<void>): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'embedline-dedup-'));
  const uri = join(folder, 'db');
  const store = new LanceDbStore({ uri });
  try {
    await body(store, uri);
  } finally {
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every stored point's text by id. */
async function storedTexts(store: LanceDbStore, name: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for await (const rows of store.scan(name)) rows.ids.forEach((id, i) => texts.set(id, rows.texts[i]!));
  return texts;
}

describe('appends and duplicate removal (LanceDB)', () => {
  test('a firstWrite appends; copies from a wrong claim are counted until finalize removes them', async () => {
    await withStore(async (store) => {
      await store.createCollection('docs', { dimension: 8 });
      // Numeric, ASCII and non-ASCII ids (hashed from their UTF-8 bytes).
      const ids = Array.from({ length: 2500 }, (_, i) =>
        i % 5 === 3 ? `ïd-${i}` : i % 2 ? `doc-${i}` : String(i),
      );
      const batch = (from: number, to: number, text: string) =>
        toRecordBatch({
          ids: ids.slice(from, to),
          vectors: randomUnitVectors(to - from, 8, from),
          dimension: 8,
          texts: ids.slice(from, to).map((id) => `${text} ${id}`),
        });
      await store.upsert('docs', batch(0, 2500, 'first'), { firstWrite: true });
      await store.upsert('docs', batch(1000, 2200, 'second'), { firstWrite: true });
      assert.equal(await store.count('docs'), 3700, 'appended, not merged: the copies are there');
      await store.finalize('docs');
      assert.equal(await store.count('docs'), 2500);
      const texts = await storedTexts(store, 'docs');
      assert.equal(texts.size, 2500);
      assert.equal(texts.get('doc-1001'), 'second doc-1001');
      assert.equal(texts.get('2200'), 'first 2200');
      assert.equal(texts.get('doc-999'), 'first doc-999');
      assert.equal(texts.get('ïd-1003'), 'second ïd-1003');
      assert.equal(texts.get('ïd-2203'), 'first ïd-2203');
    });
  });

  test('a table larger than one pass of hashes is read in slices, and loses the same copies', async () => {
    await withStore(async (store, uri) => {
      await store.createCollection('docs', { dimension: 4 });
      const write = (ids: string[], text: string) =>
        store.upsert(
          'docs',
          toRecordBatch({
            ids,
            vectors: randomUnitVectors(ids.length, 4, ids.length),
            dimension: 4,
            texts: ids.map(() => text),
          }),
          { firstWrite: true },
        );
      const ids = Array.from({ length: 3000 }, (_, i) => `p${i}`);
      await write(ids, 'old');
      const everySeventh = ids.filter((_, i) => i % 7 === 0); // 429 copies, spread over every slice
      await write(everySeventh, 'new');
      await write(['p5'], 'newer');
      await write(['p5'], 'newest'); // three copies of one id
      const db = await connect(uri);
      const table = await db.openTable('docs');
      const noRetry = <T>(operation: () => Promise<T>) => operation();
      try {
        // 3,431 rows at 500 hashes a pass: 7 reads of the id column, one slice of the hash space each.
        assert.equal(await removeDuplicateIds(table, noRetry, 500), 429 + 2);
        assert.equal(await table.countRows(), 3000);
        assert.equal(await removeDuplicateIds(table, noRetry, 500), 0, 'nothing left to remove');
      } finally {
        table.close();
        db.close();
      }
      const texts = await storedTexts(store, 'docs');
      assert.equal(texts.size, 3000);
      assert.equal(texts.get('p7'), 'new');
      assert.equal(texts.get('p8'), 'old');
      assert.equal(texts.get('p5'), 'newest');
    });
  });

  test('idHash: a stable 52-bit integer that tells ids apart', () => {
    assert.equal(idHash('8841822'), idHash('8841822'));
    const hashes = new Set(Array.from({ length: 100_000 }, (_, i) => idHash(String(i))));
    assert.equal(hashes.size, 100_000);
    for (const h of hashes) assert.ok(Number.isSafeInteger(h) && h >= 0 && h < 2 ** 52);
    assert.notEqual(idHash('naïve'), idHash('naive'));
    assert.notEqual(idHash('ï'), idHash('i'));
  });
});
