import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { gpuUnavailableReason } from './gpu-presence.ts';

test('CUDA_VISIBLE_DEVICES set to "" or -1 hides every GPU', () => {
  assert.match(gpuUnavailableReason({ CUDA_VISIBLE_DEVICES: '-1' }) ?? '', /hides every GPU/);
  assert.match(gpuUnavailableReason({ CUDA_VISIBLE_DEVICES: '' }) ?? '', /hides every GPU/);
});

test('names the missing CUDA provider library or driver on a machine without them', (t) => {
  const reason = gpuUnavailableReason({});
  if (reason === undefined) {
    assert.ok(existsSync('/proc/driver/nvidia/version'), 'no reason given although no NVIDIA driver is loaded');
    t.diagnostic('this machine has a GPU and the CUDA provider: nothing to refuse');
    return;
  }
  assert.match(reason, /libonnxruntime_providers_cuda\.so is not installed|no NVIDIA driver|has no CUDA provider/);
});
