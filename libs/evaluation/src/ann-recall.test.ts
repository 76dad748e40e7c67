import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recallAgainstExact, TIE_TOLERANCE } from './ann-recall.ts';

const hits = (...pairs: [string, number][]) => pairs.map(([id, score]) => ({ id, score }));

describe('recallAgainstExact', () => {
  const exact = hits(['a', 0.9], ['b', 0.8], ['c', 0.7], ['d', 0.6]);

  test('the share of the exact top k found by the ANN top k', () => {
    assert.equal(recallAgainstExact(hits(['a', 0.9], ['b', 0.8], ['c', 0.7]), exact, 3), 1);
    assert.equal(recallAgainstExact(hits(['a', 0.9], ['d', 0.6], ['x', 0.5]), exact, 3), 1 / 3);
    assert.equal(recallAgainstExact(hits(['d', 0.6]), exact, 3), 0);
    assert.equal(recallAgainstExact([], exact, 3), 0);
  });

  test('only the first k ANN hits count', () => {
    assert.equal(recallAgainstExact(hits(['x', 1], ['y', 1], ['a', 0.9]), exact, 2), 0);
  });

  test('a point tied with the k-th exact score is no miss, whatever the order of equal scores', () => {
    const tied = hits(['a', 0.9], ['b', 0.5], ['c', 0.5], ['d', 0.5 - TIE_TOLERANCE / 2], ['e', 0.4]);
    assert.equal(recallAgainstExact(hits(['a', 0.9], ['c', 0.5]), tied, 2), 1);
    assert.equal(recallAgainstExact(hits(['a', 0.9], ['d', 0.5]), tied, 2), 1);
    assert.equal(recallAgainstExact(hits(['a', 0.9], ['e', 0.4]), tied, 2), 0.5);
  });

  test('a collection smaller than k: recall over the points there are; none: undefined', () => {
    const two = hits(['a', 0.9], ['b', 0.8]);
    assert.equal(recallAgainstExact(hits(['b', 0.8], ['a', 0.9]), two, 10), 1);
    assert.equal(recallAgainstExact(hits(['b', 0.8]), two, 10), 0.5);
    assert.equal(recallAgainstExact([], [], 10), undefined);
  });
});
