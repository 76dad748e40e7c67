import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs } from 'node:util';
import { CPU_DEVICE, DEVICE_FLAG_OPTIONS, describeDevice, deviceFlagArgs, deviceFlags, processFlags } from './process-flags.ts';

const defaults = {
  workers: '1',
  'high-water-mark': '200',
  provider: 'cpu',
  variant: 'fp32',
  'inference-threads': '1',
  'tokenizer-threads': '0',
};

describe('processFlags: the device both sides of a benchmark embed on', () => {
  test('defaults to fp32 on the CPU, one session, tokenizing on the main thread', () => {
    assert.deepEqual(processFlags(defaults).device, CPU_DEVICE);
    assert.equal(describeDevice(CPU_DEVICE), 'fp32 on cpu');
  });

  test('a GPU layout is read and described', () => {
    const flags = { ...defaults, provider: 'cuda', variant: 'O4', 'inference-threads': '4', 'tokenizer-threads': '8' };
    const device = processFlags(flags).device;
    assert.deepEqual(device, { provider: 'cuda', variant: 'O4', inferenceThreads: 4, tokenizerThreads: 8 });
    assert.equal(describeDevice(device), 'O4 on cuda, 4 sessions, 8 tokenizer threads');
  });

  test('shards in flight: what the worker would hold for the device (2 per inference thread), or as asked', () => {
    assert.equal(processFlags(defaults).concurrency, 2);
    assert.equal(processFlags({ ...defaults, 'inference-threads': '4' }).concurrency, 8);
    assert.equal(processFlags({ ...defaults, 'inference-threads': '4', concurrency: '3' }).concurrency, 3);
  });

  test('bad values name the flag', () => {
    assert.throws(() => processFlags({ ...defaults, provider: 'tpu' }), /--provider must be cpu or cuda, got "tpu"/);
    assert.throws(() => processFlags({ ...defaults, variant: '../x' }), /--variant "..\/x"/);
    assert.throws(() => processFlags({ ...defaults, 'inference-threads': '0' }), /--inference-threads must be a positive integer/);
    assert.throws(() => processFlags({ ...defaults, 'tokenizer-threads': '-1' }), /--tokenizer-threads must be a whole number >= 0/);
  });

  test('a device passed on to an encode-only process reads back the same', () => {
    const device = { provider: 'cuda', variant: 'fp16', inferenceThreads: 2, tokenizerThreads: 4 } as const;
    const { values } = parseArgs({ args: deviceFlagArgs(device), options: DEVICE_FLAG_OPTIONS, strict: true });
    assert.deepEqual(deviceFlags(values), device);
  });
});
