import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { BUNDLED_REFERENCE_MODEL_DIR } from '../model/resolve-model.ts';
import { appendMeanPooling, graphInterface, POOLED_OUTPUT } from './graph-pooling.ts';
import { meanPool } from './pooling.ts';
import { readFields } from './onnx-wire.ts';

const modelPath = join(BUNDLED_REFERENCE_MODEL_DIR, 'onnx', 'model.onnx');
const original = readFileSync(modelPath);
const DIM = 64;

function feeds(ids: number[][], seqLen: number) {
  const flatIds = new BigInt64Array(ids.length * seqLen);
  const mask = new BigInt64Array(ids.length * seqLen);
  ids.forEach((row, r) => row.forEach((id, t) => ((flatIds[r * seqLen + t] = BigInt(id)), (mask[r * seqLen + t] = 1n))));
  return {
    input_ids: new ort.Tensor('int64', flatIds, [ids.length, seqLen]),
    attention_mask: new ort.Tensor('int64', mask, [ids.length, seqLen]),
  };
}

describe('pooling appended to the ONNX graph', () => {
  test('reads the graph interface and opset from the bytes', () => {
    const info = graphInterface(original);
    assert.deepEqual(info.inputs, ['input_ids', 'attention_mask']);
    assert.deepEqual(info.outputs, ['last_hidden_state']);
    assert.ok(info.opset >= 13, `opset ${info.opset}`);
  });

  test('keeps every original field and adds one output', () => {
    const pooled = appendMeanPooling(original, { hiddenName: 'last_hidden_state', maskName: 'attention_mask', dimension: DIM, normalize: true });
    assert.deepEqual(graphInterface(pooled).outputs, ['last_hidden_state', POOLED_OUTPUT]);
    assert.deepEqual(
      readFields(pooled).map((f) => f.field),
      readFields(original).map((f) => f.field),
    );
  });

  for (const normalize of [true, false]) {
    test(`equals host pooling on padded batches (normalize ${normalize})`, async () => {
      const pooledModel = appendMeanPooling(original, { hiddenName: 'last_hidden_state', maskName: 'attention_mask', dimension: DIM, normalize });
      const session = await ort.InferenceSession.create(pooledModel);
      try {
        // Rows of different lengths, right-padded: padding must not leak into the mean.
        const ids = [[2, 10, 11, 12, 13, 3], [2, 14, 3], [2, 3], [2, 15, 16, 17, 18, 19, 20, 21, 3]];
        const seqLen = 9;
        const out = await session.run(feeds(ids, seqLen), ['last_hidden_state', POOLED_OUTPUT]);
        const hidden = out.last_hidden_state!.data as Float32Array;
        const expected = meanPool(hidden, Int32Array.from(ids.map((r) => r.length)), seqLen, DIM, normalize);
        const got = out[POOLED_OUTPUT]!;
        assert.deepEqual(got.dims, [ids.length, DIM]);
        const diff = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - expected[i]!)));
        assert.ok(diff < 1e-6, `max |diff| ${diff}`);
      } finally {
        await session.release();
      }
    });
  }

  test('refuses a graph older than opset 13 instead of writing ops it would misread', () => {
    const fields = readFields(original);
    // Rewrite the default-domain opset import to 11: the helper must refuse, not emit opset-13 ReduceSum.
    const patched = Buffer.concat(
      fields.map((f) => {
        if (f.field !== 8) return f.raw;
        return Buffer.from([0x42, 0x02, 0x10, 0x0b]); // field 8 { version: 11 }
      }),
    );
    assert.equal(graphInterface(patched).opset, 11);
    assert.throws(
      () => appendMeanPooling(patched, { hiddenName: 'last_hidden_state', maskName: 'attention_mask', dimension: DIM, normalize: true }),
      /opset 11: pooling is written for opset 13/,
    );
  });
});
