import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { okRecords, readAll, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();
const bytes = (s: string) => new TextEncoder().encode(s);

/**
 * Parquet columns pyarrow does not write (tested in pyarrow-fixtures.test.ts) but other writers do: ids and text
 * as byte arrays without a string annotation, enums, decimals in INT64 beyond 2^53 and in FIXED_LEN_BYTE_ARRAY,
 * nanosecond timestamps before 1970.
 */
describe('Parquet payload values from other writers', () => {
  test('unannotated byte arrays: id and text are text, a payload column binary (base64); enums are strings', async () => {
    const path = file(
      'other-writers.parquet',
      new Uint8Array(
        parquetWriteBuffer({
          schema: [
            { name: 'root', num_children: 7 },
            { name: 'id', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
            { name: 'text', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
            { name: 'blob', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
            { name: 'kind', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'ENUM' },
            {
              name: 'amount',
              type: 'INT64',
              repetition_type: 'OPTIONAL',
              converted_type: 'DECIMAL',
              precision: 18,
              scale: 4,
            },
            {
              name: 'wide',
              type: 'FIXED_LEN_BYTE_ARRAY',
              type_length: 16,
              repetition_type: 'OPTIONAL',
              converted_type: 'DECIMAL',
              precision: 38,
              scale: 10,
            },
            {
              name: 'at',
              type: 'INT64',
              repetition_type: 'OPTIONAL',
              logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
            },
          ],
          columnData: [
            { name: 'id', data: [bytes('a'), bytes('b')] },
            { name: 'text', data: [bytes('one'), bytes('twö')] },
            { name: 'blob', data: [Uint8Array.from([0xff, 0x00, 0x7b]), null] },
            { name: 'kind', data: [bytes('red'), null] },
            { name: 'amount', data: [123456789012345678n, -15000n] },
            { name: 'wide', data: [-12345678901234567890123n, 25n] },
            { name: 'at', data: [-1n, 1_700_000_000_123_999_999n] },
          ],
        }),
      ),
    );
    const records = okRecords(await readAll(path));
    assert.deepEqual(
      records.map((r) => [r.id, r.text, r.payload]),
      [
        [
          'a',
          'one',
          {
            blob: '/wB7',
            kind: 'red',
            amount: '12345678901234.5678',
            wide: '-1234567890123.4567890123',
            at: '1969-12-31T23:59:59.999Z',
          },
        ],
        ['b', 'twö', { blob: null, kind: null, amount: -1.5, wide: 2.5e-9, at: '2023-11-14T22:13:20.123Z' }],
      ],
    );
  });
});
