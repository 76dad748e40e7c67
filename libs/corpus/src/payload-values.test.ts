import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bigEndianSigned,
  decimalString,
  decimalValue,
  floorMillis,
  littleEndianWordsSigned,
} from './payload-values.ts';

describe('payload values shared by the Arrow and Parquet readers', () => {
  test('a decimal is a number when the number is exactly it, else its decimal string with every scale digit', () => {
    const cases: [bigint, number, number | string][] = [
      [123n, 2, 1.23],
      [-463n, 2, -4.63],
      [30n, 2, 0.3],
      [0n, 10, 0],
      [3n, 10, 3e-10],
      [12n, -3, 12000],
      [10n ** 25n, 0, 1e25],
      [9007199254740993n, 0, '9007199254740993'],
      [123456789012345678n, 2, '1234567890123456.78'],
      [-112345678901234567890000000001n, 10, '-11234567890123456789.0000000001'],
      [1n, 40, 1e-40],
      [12345678901234567891n, 40, '0.0000000000000000000012345678901234567891'],
    ];
    for (const [unscaled, scale, expected] of cases)
      assert.deepEqual(decimalValue(unscaled, scale), expected, `${unscaled}e-${scale}`);
    assert.equal(decimalString(-5n, 3), '-0.005');
    assert.equal(decimalString(5n, -2), '500');
  });

  test("two's complement integers: Parquet's big-endian bytes, Arrow's little-endian 32-bit words", () => {
    assert.equal(bigEndianSigned(Uint8Array.from([0xff, 0xfe])), -2n);
    assert.equal(bigEndianSigned(Uint8Array.from([0x01, 0x00])), 256n);
    assert.equal(bigEndianSigned(new Uint8Array(0)), 0n);
    assert.equal(littleEndianWordsSigned(Uint32Array.from([123, 0, 0, 0])), 123n);
    assert.equal(
      littleEndianWordsSigned(Uint32Array.from([0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff])),
      -2n,
    );
    assert.equal(littleEndianWordsSigned(Uint32Array.from([0, 1, 0, 0, 0, 0, 0, 0])), 2n ** 32n);
  });

  test('timestamps are floored to the millisecond, before 1970 too', () => {
    assert.equal(floorMillis(1_999n, 1000n), 1);
    assert.equal(floorMillis(-1n, 1000n), -1);
    assert.equal(floorMillis(-1_000n, 1000n), -1);
    assert.equal(floorMillis(-1_000_001n, 1_000_000n), -2);
  });
});
