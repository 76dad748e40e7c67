import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { baseSessionOptions } from './create-session.ts';

const execution = { provider: 'cpu', deviceId: 0, intraOpThreads: 2, interOpThreads: 1 } as const;

describe('baseSessionOptions', () => {
  test('idle intra-op threads sleep unless spinning is asked for', () => {
    assert.deepEqual(baseSessionOptions({ ...execution, intraOpSpinning: false }).extra, {
      session: { intra_op: { allow_spinning: '0' } },
    });
    assert.deepEqual(baseSessionOptions({ ...execution, intraOpSpinning: true }).extra, {
      session: { intra_op: { allow_spinning: '1' } },
    });
  });

  test('thread counts reach onnxruntime as given', () => {
    const options = baseSessionOptions({ ...execution, intraOpSpinning: false });
    assert.equal(options.intraOpNumThreads, 2);
    assert.equal(options.interOpNumThreads, 1);
  });
});
