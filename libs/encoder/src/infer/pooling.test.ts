import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { halfToFloat } from './half-float.ts';
import { meanPool } from './pooling.ts';

describe('meanPool', () => {
  // Two rows, seqLen 3, dim 2. Row 0 has 2 real tokens, row 1 has 3; padding holds garbage (99).
  const hidden = new Float32Array([1, 2, 3, 6, 99, 99, /* row 1 */ 3, 0, 0, 4, 0, 0]);
  const lengths = new Int32Array([2, 3]);

  test('averages only the real tokens', () => {
    // row 0: ((1+3)/2, (2+6)/2) = (2, 4); row 1: (3/3, 4/3)
    const out = meanPool(hidden, lengths, 3, 2, false);
    assert.deepEqual([...out], [2, 4, 1, Math.fround(4 / 3)]);
  });

  test('normalizes each row to unit length', () => {
    const out = meanPool(hidden, lengths, 3, 2, true);
    // (2,4)/sqrt(20); (1, 4/3)/(5/3) = (0.6, 0.8)
    assert.ok(Math.abs(out[0]! - 2 / Math.sqrt(20)) < 1e-7);
    assert.ok(Math.abs(out[1]! - 4 / Math.sqrt(20)) < 1e-7);
    assert.ok(Math.abs(out[2]! - 0.6) < 1e-7);
    assert.ok(Math.abs(out[3]! - 0.8) < 1e-7);
  });

  test('an all-zero row stays zero instead of becoming NaN (eps as in torch.nn.functional.normalize)', () => {
    const out = meanPool(new Float32Array(4), new Int32Array([2]), 2, 2, true);
    assert.deepEqual([...out], [0, 0]);
  });
});

describe('halfToFloat', () => {
  test('decodes float16 bit patterns', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0000, 0x8000, 0x7c00, 0x0001, 0x7bff]);
    const out = halfToFloat(bits);
    assert.deepEqual([...out.slice(0, 2)], [1, -2]);
    assert.ok(Math.abs(out[2]! - 0.333251953125) < 1e-12);
    assert.equal(out[3], 0);
    assert.ok(Object.is(out[4], -0));
    assert.equal(out[5], Infinity);
    assert.equal(out[6], 2 ** -24);
    assert.equal(out[7], 65504);
  });
});
