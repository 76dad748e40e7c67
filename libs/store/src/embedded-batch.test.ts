import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecordBatch, toRecordBatch, utf8Data } from './embedded-batch.ts';
import { makeVector } from 'apache-arrow';
import { pointId } from './point-id.ts';

describe('embedded record batches', () => {
  test('round-trip ids, vectors, texts and payloads; the vector column shares memory', () => {
    const vectors = new Float32Array([1, 0, 0, 0.6, 0.8, 0]);
    const batch = toRecordBatch({ ids: ['7', 'doc-b'], vectors, dimension: 3, texts: ['a', 'b'], payloads: [{ lang: 'en' }, null] });
    assert.equal(batch.numRows, 2);
    assert.equal(batch.getChild('vector')!.data[0]!.children[0]!.values.buffer, vectors.buffer);
    const rows = fromRecordBatch(batch);
    assert.deepEqual(rows.ids, ['7', 'doc-b']);
    assert.deepEqual([...rows.vectors], [...vectors]);
    assert.equal(rows.dimension, 3);
    assert.deepEqual(rows.texts, ['a', 'b']);
    assert.deepEqual(rows.payloads, [{ lang: 'en' }, null]);
  });

  test('Utf8 columns hold multi-byte text, empty strings and nulls exactly', () => {
    const values = ['naïve café', '', null, '東京 🚀', 'a\u0000b', null];
    const vector = makeVector(utf8Data(values));
    assert.deepEqual([...vector], values);
    assert.equal(vector.nullCount, 2);
  });

  test('mismatched lengths are refused with the counts', () => {
    assert.throws(
      () => toRecordBatch({ ids: ['1'], vectors: new Float32Array(6), dimension: 3, texts: ['a'] }),
      /1 ids, 1 texts and 2 vectors of 3 floats do not line up/,
    );
  });
});

describe('pointId', () => {
  test('numeric ids stay numbers; others become stable UUIDv5', () => {
    assert.equal(pointId('0'), 0);
    assert.equal(pointId('8841822'), 8841822);
    assert.match(String(pointId('doc-b')), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(pointId('doc-b'), pointId('doc-b'));
    assert.notEqual(pointId('007'), 7);
    assert.equal(typeof pointId('99999999999999999999'), 'string');
  });
});
