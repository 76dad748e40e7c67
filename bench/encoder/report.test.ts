import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MachineInfo } from './machine.ts';
import type { TokenStats } from './passages.ts';
import type { SystemName, SystemResult } from './protocol.ts';
import { renderMarkdown, systemLabel, type Report } from './report.ts';

describe('systemLabel', () => {
  it("names our encoder's ONNX variant unless it is the default fp32 model.onnx", () => {
    assert.equal(systemLabel('embedline', { variant: 'O2' }), 'embedline (ours, O2)');
    assert.equal(systemLabel('embedline', { variant: 'fp32' }), 'embedline (ours)');
    assert.equal(systemLabel('embedline', {}), 'embedline (ours)');
    assert.equal(systemLabel('embedline'), 'embedline (ours)');
  });

  it('leaves the peers as they are, whatever their settings', () => {
    assert.equal(systemLabel('transformersjs', { variant: 'O2' }), 'transformers.js');
    assert.equal(systemLabel('sentence-transformers'), 'sentence-transformers');
    assert.equal(systemLabel('something-else'), 'something-else');
  });
});

describe('renderMarkdown', () => {
  const run = (system: SystemName, seconds: number, settings: SystemResult['settings']): SystemResult => ({
    system,
    passages: 100,
    tokens: 7000,
    seconds,
    loadSeconds: 1,
    dimension: 768,
    threads: 2,
    versions: {},
    settings,
  });
  const summary = (system: SystemName, seconds: number, settings: SystemResult['settings'] = {}) => ({
    system,
    runs: [run(system, seconds, settings)],
    medianSeconds: seconds,
    passagesPerSecond: 100 / seconds,
    tokensPerSecond: 7000 / seconds,
  });
  const report = (variant: string): Report => ({
    generatedAt: '2026-11-29T00:00:00.000Z',
    command: 'tsx bench/encoder/run.ts',
    machine: {
      cpuModel: 'Test CPU',
      logicalCores: 2,
      memoryGiB: 8,
      os: 'Linux',
      loadAverageAtStart: 0,
    } as MachineInfo,
    threads: 2,
    runs: 1,
    passages: 100,
    model: '.cache/models/bench-distilbert-base',
    tokenStats: {
      median: 60,
      p90: 130,
      p99: 280,
      max: 384,
      mean: 70,
      total: 7000,
      truncated: 0,
      maxSeqLength: 384,
    } as TokenStats,
    versions: {},
    systems: [summary('embedline', 5, { variant }), summary('sentence-transformers', 10)],
    loadAverageAtEnd: 0,
  });

  it('labels our row with the variant it ran, beside the peers and their ratio', () => {
    const markdown = renderMarkdown(report('O2'));
    assert.match(markdown, /^\| embedline \(ours, O2\) \| 20\.0 \| 1,400 \| 2\.00x \|/m);
    assert.match(markdown, /^\| sentence-transformers \| 10\.0 \|/m);
    assert.match(markdown, /Seconds per run .*: embedline \(ours, O2\) 5\.00; sentence-transformers 10\.00/);
  });

  it('keeps the plain label for the default fp32 model', () => {
    assert.match(renderMarkdown(report('fp32')), /^\| embedline \(ours\) \| 20\.0 \|/m);
  });
});
