/** bench/gpu's results as JSON (bench/results/gpu.json) and as the markdown table printed and kept beside it. */
import type { MachineInfo } from '../encoder/machine.ts';
import type { ParityResult } from './parity.ts';

export interface ThroughputRow {
  readonly variant: string;
  readonly maxBatchTokens: number;
  readonly inferenceThreads: number;
  /** Tokenizer pool threads (absent in results from before the pool existed: tokenized on the main thread). */
  readonly tokenizerThreads?: number;
  readonly passages: number;
  readonly seconds: number;
  readonly passagesPerSecond: number;
  readonly realTokensPerSecond: number;
  /** Padded tokens computed per real token, minus one: the cost of batching unequal lengths. */
  readonly paddingOverhead: number;
  readonly batches: number;
}

export interface GpuReport {
  readonly benchmark: 'gpu';
  readonly started: string;
  readonly machine: MachineInfo & { readonly gpu: string };
  readonly deviceId: number;
  readonly parityLimits: unknown;
  readonly parity: readonly ParityResult[];
  readonly throughput: readonly ThroughputRow[];
  readonly tokenStats: unknown;
}

/** Issue 5's target for one H100 with fp16 weights. */
export const GPU_TARGET_PASSAGES_PER_SECOND = 20_000;

export function renderGpuReport(report: GpuReport): string {
  const m = report.machine;
  const lines = [
    `# GPU path (${report.started})`,
    '',
    `GPU ${m.gpu} (device ${report.deviceId}); CPU ${m.cpuModel}, ${m.logicalCores} logical cores; Node ${m.node}.`,
    '',
    '## Parity on the GPU',
    '',
    '| model | variant | texts | max abs diff | min cosine | result |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...report.parity.map(
      (p) =>
        `| ${p.model} | ${p.variant} | ${p.cases} | ${p.maxAbsDiff.toExponential(2)} | ${p.minCosine.toFixed(6)} | ${p.pass ? 'pass' : 'FAIL'} |`,
    ),
    '',
    `## Throughput (DistilBERT-base-shaped model; target ${GPU_TARGET_PASSAGES_PER_SECOND.toLocaleString('en')} passages/s with fp16)`,
    '',
    '| variant | token budget | inference threads | passages | passages/s | real tokens/s | padding overhead |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.throughput.map(
      (r) =>
        `| ${r.variant} | ${r.maxBatchTokens} | ${r.inferenceThreads} | ${r.passages} | ${r.passagesPerSecond.toFixed(0)} | ` +
        `${(r.realTokensPerSecond / 1e6).toFixed(2)}M | ${(r.paddingOverhead * 100).toFixed(1)}% |`,
    ),
    '',
  ];
  return lines.join('\n');
}
