import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { comparePointIds } from './point-id.ts';
import { TIE_SLACK, tieWideningCap, tieWidenedSearch } from './tie-widened-search.ts';

interface Hit {
  readonly id: number;
  readonly score: number;
}

/**
 * A backend over `rows` that, like LanceDB and Qdrant, returns the best `limit` rows but picks among
 * equal scores at its cut in its own order (here: highest id first), then orders what it returns by
 * score and point id, as the adapters' fetch functions do. Records every limit asked for.
 */
function fakeBackend(rows: readonly Hit[]) {
  const limits: number[] = [];
  const backendOrder = [...rows].sort((a, b) => b.score - a.score || b.id - a.id);
  const fetch = async (limit: number): Promise<Hit[]> => {
    limits.push(limit);
    return backendOrder.slice(0, limit).sort((a, b) => b.score - a.score || comparePointIds(a.id, b.id));
  };
  return { fetch, limits };
}

const score = (hit: Hit) => hit.score;

/** `count` rows scoring `value`, ids from `firstId` up. */
function tied(count: number, value: number, firstId: number): Hit[] {
  return Array.from({ length: count }, (_, i) => ({ id: firstId + i, score: value }));
}

describe('tieWidenedSearch', () => {
  test('no tie at the cut: one fetch of topK + TIE_SLACK', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, score: 1 - i / 100 }));
    const backend = fakeBackend(rows);
    const hits = await tieWidenedSearch(5, backend.fetch, score);
    assert.deepEqual(
      hits.map((h) => h.id),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(backend.limits, [5 + TIE_SLACK]);
  });

  test('a tie group straddling the cut is widened until complete, then ordered by id', async () => {
    // 3 better rows, 40 tied rows (ids 100-139), worse rows after: the backend's first 13 rows hold
    // the tied ids 139 down to 130, so only a complete group gives the lowest ids.
    const rows = [
      { id: 7, score: 0.9 },
      { id: 8, score: 0.8 },
      { id: 9, score: 0.7 },
      ...tied(40, 0.5, 100),
      ...Array.from({ length: 30 }, (_, i) => ({ id: 200 + i, score: 0.4 - i / 100 })),
    ];
    const backend = fakeBackend(rows);
    const hits = await tieWidenedSearch(5, backend.fetch, score);
    assert.deepEqual(
      hits.map((h) => h.id),
      [7, 8, 9, 100, 101],
    );
    // 13 and 26 end inside the group (43 rows up to its end); 52 reaches a lower score.
    assert.deepEqual(backend.limits, [13, 26, 52]);
  });

  test('fewer rows than topK: all of them, after one fetch', async () => {
    const backend = fakeBackend([{ id: 3, score: 0.2 }, ...tied(2, 0.5, 10)]);
    const hits = await tieWidenedSearch(5, backend.fetch, score);
    assert.deepEqual(
      hits.map((h) => h.id),
      [10, 11, 3],
    );
    assert.deepEqual(backend.limits, [13]);
    const empty = fakeBackend([]);
    assert.deepEqual(await tieWidenedSearch(5, empty.fetch, score), []);
    assert.deepEqual(empty.limits, [13]);
  });

  test('a tie group ending exactly at the limit is widened once more to see past it', async () => {
    const backend = fakeBackend(tied(13, 0.5, 0));
    const hits = await tieWidenedSearch(5, backend.fetch, score);
    assert.deepEqual(
      hits.map((h) => h.id),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(backend.limits, [13, 26]);
  });

  test('topK 0 fetches nothing; a negative or fractional topK is refused', async () => {
    const backend = fakeBackend(tied(3, 0.5, 0));
    assert.deepEqual(await tieWidenedSearch(0, backend.fetch, score), []);
    assert.deepEqual(backend.limits, []);
    await assert.rejects(tieWidenedSearch(-1, backend.fetch, score), RangeError);
    await assert.rejects(tieWidenedSearch(1.5, backend.fetch, score), RangeError);
  });

  test('many ties: the widening stops at the cap, returning the best topK of what it fetched', async () => {
    // 10,000 rows of one score below 2 better ones: the group never completes within the cap.
    const rows = [{ id: 50_000, score: 0.9 }, { id: 50_001, score: 0.8 }, ...tied(10_000, 0.5, 0)];
    const backend = fakeBackend(rows);
    const hits = await tieWidenedSearch(5, backend.fetch, score);
    const cap = tieWideningCap(5);
    assert.equal(cap, 5 + 4096);
    assert.deepEqual(backend.limits, [13, 26, 52, 104, 208, 416, 832, 1664, 3328, cap]);
    assert.equal(Math.max(...backend.limits), cap);
    // The backend's first 4,101 rows hold the tied ids 9,999 down to 5,901: the lowest of those, in order.
    assert.deepEqual(
      hits.map((h) => h.id),
      [50_000, 50_001, 5901, 5902, 5903],
    );
  });

  test('the cap is max(4 x topK, topK + 4096) and is the largest limit for a large topK too', async () => {
    assert.equal(tieWideningCap(1), 4097);
    assert.equal(tieWideningCap(1365), 5461);
    assert.equal(tieWideningCap(2000), 8000);
    const backend = fakeBackend(tied(20_000, 0.5, 0));
    const hits = await tieWidenedSearch(2000, backend.fetch, score);
    assert.equal(hits.length, 2000);
    assert.deepEqual(backend.limits, [2008, 4016, 8000]);
  });
});
