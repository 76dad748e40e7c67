import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { steadyRate } from './steady-rate.ts';

describe('steadyRate', () => {
  test('the rate between 10% and 90% stored, leaving out a slow start and a slow tail', () => {
    // 1,000 passages: nothing for 500 ms, then 100 per 100 ms, then the last 100 take 400 ms.
    const samples = [
      { atMs: 0, stored: 0 },
      { atMs: 500, stored: 0 },
      ...Array.from({ length: 9 }, (_, i) => ({ atMs: 600 + 100 * i, stored: 100 * (i + 1) })),
      { atMs: 1800, stored: 1000 },
    ];
    assert.equal(steadyRate(samples, 1000), 1000); // 100..900 stored in 800 ms
    assert.equal(steadyRate(samples, 1000, 0, 1), 1000 / 1.8);
  });

  test('times each count when it was first seen: bursts polled through their plateaus', () => {
    // 400 passages stored every 500 ms, each count seen several times before the next burst.
    const samples = [
      [0, 0],
      [100, 0],
      [500, 400],
      [600, 400],
      [900, 400],
      [1000, 800],
      [1100, 800],
      [1400, 800],
      [1500, 1000],
    ].map(([atMs, stored]) => ({ atMs: atMs!, stored: stored! }));
    assert.equal(steadyRate(samples, 1000), 800); // 400 -> 800 from 500 to 1000 ms, not to 1400
  });

  test('NaN when the band holds fewer than two samples in time, or spans too little of it', () => {
    const rateOf = (...points: [atMs: number, stored: number][]) =>
      steadyRate(
        points.map(([atMs, stored]) => ({ atMs, stored })),
        1000,
      );
    assert.ok(Number.isNaN(rateOf([0, 0], [100, 1000])));
    assert.ok(Number.isNaN(rateOf([5, 500], [5, 600])));
    assert.ok(Number.isNaN(rateOf()));
    // Two shards of 500: the band holds only the first shard's step.
    assert.ok(Number.isNaN(rateOf([0, 0], [1000, 500], [1500, 500], [2000, 1000])));
  });
});
