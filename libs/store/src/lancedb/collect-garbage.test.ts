import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './collect-garbage.ts';

test('collectGarbage frees unreachable memory now, in a process started without --expose-gc', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the test runs without --expose-gc');
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  // 64 MiB that nothing references once this statement ends.
  new Float64Array(8 * 2 ** 20).fill(1);
  assert.ok(process.memoryUsage().arrayBuffers - before >= 60 * 2 ** 20, 'the array was allocated');
  collectGarbage();
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 20, 'and freed by the collection');
  collectGarbage(); // again: the exposed function is kept
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this context is left as it was');
});
