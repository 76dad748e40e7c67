import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MIN_SAMPLE_RATE,
  defaultNprobes,
  needsRetrain,
  parseIndexName,
  planIvfPq,
  trainingSampleRate,
} from './index-policy.ts';

describe('IVF-PQ index policy', () => {
  test('about sqrt(rows) partitions; sub-vectors of 8 floats at 768 dimensions, 2 at 16', () => {
    assert.deepEqual(planIvfPq(8_841_823, 768), {
      partitions: 2974,
      subVectors: 96,
      name: 'vector_ivfpq_p2974_m96',
    });
    assert.deepEqual(planIvfPq(20_000, 16), { partitions: 141, subVectors: 8, name: 'vector_ivfpq_p141_m8' });
    assert.equal(planIvfPq(10_000, 100).subVectors, 25);
    assert.equal(planIvfPq(10_000, 13).subVectors, 13);
  });

  test('the index name records the plan', () => {
    const plan = planIvfPq(50_000, 384);
    assert.deepEqual(parseIndexName(plan.name), plan);
    assert.equal(parseIndexName('vector_idx'), undefined);
  });

  test('retrains only when the table outgrew (or shrank below) its partitions 4x', () => {
    const built = planIvfPq(100_000, 768);
    assert.ok(!needsRetrain(built, planIvfPq(300_000, 768)));
    assert.ok(needsRetrain(built, planIvfPq(500_000, 768)));
    assert.ok(needsRetrain(built, planIvfPq(20_000, 768)));
    assert.ok(needsRetrain(built, planIvfPq(100_000, 384)));
  });

  test('probes 40 partitions, or 5% when there are more than 800', () => {
    assert.equal(defaultNprobes(141), 40);
    assert.equal(defaultNprobes(2974), 149);
  });

  test('trains the k-means on 256 vectors a partition while the sample fits its budget, then fewer', () => {
    const msmarco = planIvfPq(8_841_823, 768).partitions;
    assert.equal(trainingSampleRate(planIvfPq(100_000, 64).partitions, 64), 207);
    // 1,000 partitions x 65 x 64 floats: 16.6 MB, where 256 a partition would hold 64 MB.
    assert.equal(trainingSampleRate(planIvfPq(1_000_000, 64).partitions, 64), 65);
    assert.equal(trainingSampleRate(planIvfPq(100_000, 768).partitions, 768), MIN_SAMPLE_RATE);
    assert.equal(trainingSampleRate(planIvfPq(20_000, 64).partitions, 64), 256);
    // At MS MARCO scale the floor wins: 2,974 x 32 x 768 floats = 292 MB instead of 2.3 GB.
    assert.equal(trainingSampleRate(msmarco, 768), MIN_SAMPLE_RATE);
    assert.equal(trainingSampleRate(1000, 768, 1000 * 768 * 4 * 100), 100);
  });
});
