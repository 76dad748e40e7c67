import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TopKHeap } from './top-k-heap.ts';

const hits = (pairs: [number, number][]) => pairs.map(([corpusId, score]) => ({ corpusId, score }));

describe('TopKHeap', () => {
  test('keeps the k best, best first', () => {
    const heap = new TopKHeap(3);
    const kept = [5, 1, 9, 3, 7, 2].map((score, id) => heap.offer(score, id));
    // 5, 1, 9 fill the heap; 3 beats the worst (1); 7 beats the worst (3); 2 does not beat 5.
    assert.deepEqual(kept, [true, true, true, true, true, false]);
    assert.equal(heap.size, 3);
    assert.deepEqual(
      heap.drain(),
      hits([
        [2, 9],
        [4, 7],
        [0, 5],
      ]),
    );
    assert.equal(heap.size, 0);
  });

  test('equal scores: lower id first, whatever the arrival order', () => {
    const heap = new TopKHeap(2);
    for (const id of [5, 2, 9, 0, 7]) heap.offer(1, id);
    assert.deepEqual(
      heap.drain(),
      hits([
        [0, 1],
        [2, 1],
      ]),
    );
    // A later, lower id with the same score displaces the highest kept id; a higher one does not enter.
    heap.offer(0.5, 8);
    heap.offer(0.5, 6);
    assert.equal(heap.offer(0.5, 7), true); // {6, 8} -> {6, 7}
    assert.equal(heap.offer(0.5, 9), false);
    assert.equal(heap.offer(0.5, 1), true); // {6, 7} -> {1, 6}
    assert.deepEqual(
      heap.drain(),
      hits([
        [1, 0.5],
        [6, 0.5],
      ]),
    );
  });

  test('fewer offers than capacity; capacity 0; reuse after drain', () => {
    const heap = new TopKHeap(10);
    heap.offer(-1, 3);
    heap.offer(Infinity, 4);
    heap.offer(-Infinity, 1);
    assert.deepEqual(
      heap.drain(),
      hits([
        [4, Infinity],
        [3, -1],
        [1, -Infinity],
      ]),
    );
    heap.offer(2, 0);
    assert.deepEqual(heap.drain(), hits([[0, 2]]));
    const none = new TopKHeap(0);
    assert.equal(none.offer(1, 0), false);
    assert.deepEqual(none.drain(), []);
  });

  test('grows past its initial room up to capacity', () => {
    const heap = new TopKHeap(1000);
    for (let id = 0; id < 300; id++) heap.offer((id * 37) % 300, id);
    const out = heap.drain();
    assert.equal(out.length, 300);
    // (id * 37) % 300 is a permutation of 0..299 (gcd(37, 300) = 1): scores run 299 down to 0.
    assert.deepEqual(
      out.map((h) => h.score),
      Array.from({ length: 300 }, (_, i) => 299 - i),
    );
    assert.equal(out[0]!.corpusId, (299 * 73) % 300); // 37 * 73 = 2701 = 1 (mod 300)
  });

  test('NaN and bad capacities are refused', () => {
    assert.throws(() => new TopKHeap(2).offer(NaN, 4), /TopKHeap: score of id 4 is NaN/);
    assert.throws(() => new TopKHeap(-1), /capacity must be a non-negative integer, got -1/);
    assert.throws(() => new TopKHeap(2.5), /capacity must be a non-negative integer, got 2.5/);
  });
});
