import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { padBatch } from './pad-batch.ts';
import { planBatches } from './plan-batches.ts';

describe('planBatches', () => {
  test('sorts longest first and packs by padded-token budget', () => {
    const lengths = [3, 10, 4, 9, 2];
    const plans = planBatches(lengths, { maxBatchTokens: 20, maxBatchSize: 8 });
    // 10+9 pad to 10 -> 2 x 10 = 20 fits; adding 4 would make 3 x 10 = 30.
    assert.deepEqual(plans, [
      { indices: [1, 3], seqLen: 10 },
      { indices: [2, 0, 4], seqLen: 4 },
    ]);
  });

  test('caps the batch size whatever the budget', () => {
    const plans = planBatches([5, 5, 5, 5, 5], { maxBatchTokens: 1000, maxBatchSize: 2 });
    assert.deepEqual(
      plans.map((p) => p.indices.length),
      [2, 2, 1],
    );
  });

  test('a text longer than the budget still gets a batch of its own', () => {
    const plans = planBatches([50, 3], { maxBatchTokens: 10, maxBatchSize: 4 });
    assert.deepEqual(plans, [
      { indices: [0], seqLen: 50 },
      { indices: [1], seqLen: 3 },
    ]);
  });

  test('equal lengths keep input order, and every index appears exactly once', () => {
    const lengths = Array.from({ length: 1000 }, (_, i) => 2 + ((i * 7919) % 383));
    const plans = planBatches(lengths, { maxBatchTokens: 4096, maxBatchSize: 64 });
    const seen = plans.flatMap((p) => p.indices).sort((a, b) => a - b);
    assert.deepEqual(seen, lengths.map((_, i) => i));
    for (const plan of plans) {
      assert.ok(plan.indices.length * plan.seqLen <= 4096 || plan.indices.length === 1);
      assert.equal(plan.seqLen, Math.max(...plan.indices.map((i) => lengths[i]!)));
    }
    assert.deepEqual(planBatches([4, 4, 4], { maxBatchTokens: 100, maxBatchSize: 8 })[0]!.indices, [0, 1, 2]);
  });

  test('no texts, no batches', () => {
    assert.deepEqual(planBatches([], { maxBatchTokens: 10, maxBatchSize: 2 }), []);
  });
});

describe('padBatch', () => {
  test('right-pads each row to the batch length and records real lengths', () => {
    const tokenized = [[101, 7, 102], [101, 102], [101, 5, 6, 8, 102]];
    const batch = padBatch(tokenized, { indices: [2, 0], seqLen: 5 }, 0);
    assert.deepEqual([...batch.ids], [101, 5, 6, 8, 102, 101, 7, 102, 0, 0]);
    assert.deepEqual([...batch.lengths], [5, 3]);
    assert.equal(batch.batchSize, 2);
    assert.equal(batch.seqLen, 5);
  });
});
