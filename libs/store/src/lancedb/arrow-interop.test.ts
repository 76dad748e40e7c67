import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import type { Table } from 'apache-arrow';
import { toRecordBatch } from '../embedded-batch.ts';
import { toLanceData } from './arrow-interop.ts';

const lanceArrow = createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb'))('apache-arrow');

/** A column as plain values (LanceDB's arrow classes, our type declarations). */
function column(table: Table, name: string): unknown[] {
  return [...table.getChild(name)!.toArray()] as unknown[];
}

describe('toLanceData', () => {
  const vectors = Float32Array.from({ length: 4 * 3 }, (_, i) => i);
  const batch = toRecordBatch({
    ids: ['a', 'b', 'c', 'd'],
    vectors,
    dimension: 3,
    texts: ['ä', 'b', 'c', 'd'],
    payloads: [null, { n: 1 }, null, { n: 3 }],
  });

  test("views the batch's buffers on LanceDB's arrow instance, without copying", () => {
    const table = toLanceData('c', 3, batch)!;
    assert.ok(table instanceof lanceArrow.Table);
    assert.equal(table.getChild('vector')!.data[0]!.children[0]!.values.buffer, vectors.buffer);
    assert.deepEqual(column(table, 'id'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(column(table, 'payload'), [null, '{"n":1}', null, '{"n":3}']);
  });

  test('a sliced batch keeps its own rows', () => {
    const table = toLanceData('c', 3, batch.slice(1, 3))!;
    assert.deepEqual(column(table, 'id'), ['b', 'c']);
    assert.deepEqual(
      [...(table.getChild('vector')!.get(1) as { toArray(): Float32Array }).toArray()],
      [6, 7, 8],
    );
    assert.deepEqual(column(table, 'text'), ['b', 'c']);
    assert.deepEqual(column(table, 'payload'), ['{"n":1}', null]);
  });

  test('an id given twice keeps its last row', () => {
    const twice = toRecordBatch({
      ids: ['x', 'y', 'x'],
      vectors: new Float32Array(9).fill(1),
      dimension: 3,
      texts: ['1', '2', '3'],
    });
    const table = toLanceData('c', 3, twice)!;
    assert.deepEqual(column(table, 'id'), ['y', 'x']);
    assert.deepEqual(column(table, 'text'), ['2', '3']);
  });
});
