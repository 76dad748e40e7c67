import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerMetrics } from './worker-metrics.ts';

describe('WorkerMetrics', () => {
  it('counts stored shards, passages and tokens, and the shards in hand', async () => {
    const metrics = new WorkerMetrics();
    const first = metrics.startShard();
    const second = metrics.startShard();
    assert.match(await metrics.registry.metrics(), /^embedline_worker_active_shards 2$/m);
    first({ collection: 'msmarco', stored: 998, realTokens: 74_000, paddedTokens: 80_000 });
    second(); // an attempt that threw: no longer in hand, counted by shardFailed
    metrics.shardFailed('msmarco', 'retrying');
    const text = await metrics.registry.metrics();
    assert.match(text, /^embedline_worker_active_shards 0$/m);
    assert.match(text, /^embedline_worker_shards_total\{collection="msmarco",outcome="stored"\} 1$/m);
    assert.match(text, /^embedline_worker_shards_total\{collection="msmarco",outcome="retrying"\} 1$/m);
    assert.match(text, /^embedline_worker_passages_total\{collection="msmarco"\} 998$/m);
    assert.match(text, /^embedline_worker_tokens_total\{kind="real"\} 74000$/m);
    assert.match(text, /^embedline_worker_tokens_total\{kind="padded"\} 80000$/m);
    assert.match(text, /^embedline_worker_shard_duration_seconds_count 1$/m); // the failed attempt is not timed
    assert.match(text, /^embedline_worker_process_resident_memory_bytes \d+/m);
  });

  it('keeps each instance apart (several workers in one test process)', async () => {
    const a = new WorkerMetrics();
    const b = new WorkerMetrics();
    a.shardFailed('c', 'dead_lettered');
    assert.doesNotMatch(await b.registry.metrics(), /outcome="dead_lettered"/);
  });
});
