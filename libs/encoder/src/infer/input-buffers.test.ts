import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputBuffers, widen } from './input-buffers.ts';

const INT64 = { inputIds: 'int64', attentionMask: 'int64', tokenTypeIds: 'int64' } as const;

describe('InputBuffers', () => {
  it('builds ids, attention mask and zero token types as int64, padded rows masked out', () => {
    const buffers = new InputBuffers();
    const batch = buffers.lend(Int32Array.of(101, 7, 102, 101, 102, 0), Int32Array.of(3, 2), 3, INT64);
    assert.deepEqual([...batch.inputIds], [101n, 7n, 102n, 101n, 102n, 0n]);
    assert.deepEqual([...batch.attentionMask], [1n, 1n, 1n, 1n, 1n, 0n]);
    assert.deepEqual([...batch.tokenTypeIds], [0n, 0n, 0n, 0n, 0n, 0n]);
    buffers.release();
  });

  it('reuses its memory for the next batch, with views of exactly the batch size and nothing left from the last', () => {
    const buffers = new InputBuffers();
    const first = buffers.lend(new Int32Array(8).fill(5), Int32Array.of(4, 4), 4, INT64);
    const firstMemory = first.attentionMask.buffer;
    buffers.release();
    const second = buffers.lend(Int32Array.of(101, 102, 0, 101, 9, 102), Int32Array.of(2, 3), 3, INT64);
    assert.equal(second.attentionMask.buffer, firstMemory, 'a smaller batch got new memory');
    assert.equal(second.attentionMask.length, 6);
    assert.deepEqual([...second.attentionMask], [1n, 1n, 0n, 1n, 1n, 1n]);
    assert.deepEqual([...second.inputIds], [101n, 102n, 0n, 101n, 9n, 102n]);
    buffers.release();
    const bigger = buffers.lend(new Int32Array(12), Int32Array.of(6, 6), 6, INT64);
    assert.equal(bigger.attentionMask.length, 12);
    assert.notEqual(bigger.attentionMask.buffer, firstMemory, 'a bigger batch must grow the buffer');
    buffers.release();
  });

  it('feeds int32 where the graph declares int32', () => {
    const buffers = new InputBuffers();
    const ids = Int32Array.of(101, 102);
    const batch = buffers.lend(ids, Int32Array.of(2), 2, { inputIds: 'int32', attentionMask: 'int32', tokenTypeIds: 'int64' });
    assert.equal(batch.inputIds, ids);
    assert.ok(batch.attentionMask instanceof Int32Array);
    assert.deepEqual([...batch.attentionMask], [1, 1]);
    assert.ok(batch.tokenTypeIds instanceof BigInt64Array);
    buffers.release();
  });

  it('refuses to lend the buffers to a second batch before the first is done', () => {
    const buffers = new InputBuffers();
    buffers.lend(Int32Array.of(1), Int32Array.of(1), 1, INT64);
    assert.throws(() => buffers.lend(Int32Array.of(1), Int32Array.of(1), 1, INT64), /previous batch still holds/);
    buffers.release();
    assert.doesNotThrow(() => buffers.lend(Int32Array.of(1), Int32Array.of(1), 1, INT64));
  });
});

describe('widen', () => {
  it('sign-extends into a view that starts inside a larger buffer', () => {
    const backing = new BigInt64Array(6).fill(99n);
    const out = widen(Int32Array.of(-1, 2147483647, -2147483648), backing.subarray(2, 5));
    assert.deepEqual([...out], [-1n, 2147483647n, -2147483648n]);
    assert.deepEqual([...backing], [99n, 99n, -1n, 2147483647n, -2147483648n, 99n]);
  });
});
