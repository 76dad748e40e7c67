/** bench/gpu's results as JSON (bench/results/gpu.json) and as the markdown table printed and kept beside it. */
import type { MachineInfo } from '../encoder/machine.ts';
import { mathLabel, type ParityResult } from './parity.ts';
import type { PeerResult } from './peer.ts';

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
  /** sentence-transformers on the same GPU and passages (absent when it could not run, or in older results). */
  readonly peer?: PeerResult;
}

/** Issue 5's target for one H100 with fp16 weights. */
export const GPU_TARGET_PASSAGES_PER_SECOND = 20_000;

/** The fastest fp16 row: what the target, and the comparison with the fp16 peer, are about. */
export function bestFp16(rows: readonly Pick<ThroughputRow, 'variant' | 'passagesPerSecond'>[]): number | undefined {
  const fp16 = rows.filter((r) => r.variant === 'fp16').map((r) => r.passagesPerSecond);
  return fp16.length === 0 ? undefined : Math.max(...fp16);
}

function peerLines(report: GpuReport): string[] {
  const best = bestFp16(report.throughput);
  if (report.peer === undefined || best === undefined) return [];
  const peer = report.peer;
  return [
    '## Peer on the same GPU and passages',
    '',
    '| system | passages/s | vs Embedline\'s best fp16 row |',
    '| --- | ---: | ---: |',
    `| Embedline (onnxruntime-node, best fp16 row) | ${best.toFixed(0)} | 1.00x |`,
    `| sentence-transformers ${peer.versions['sentence-transformers'] ?? ''}, torch ${peer.versions.torch ?? ''}, ` +
      `fp16 weights, batch ${peer.batchSize} | ${peer.passagesPerSecond.toFixed(0)} | ${(best / peer.passagesPerSecond).toFixed(2)}x faster |`,
    '',
  ];
}

export function renderGpuReport(report: GpuReport): string {
  const m = report.machine;
  const lines = [
    `# GPU path (${report.started})`,
    '',
    `GPU ${m.gpu} (device ${report.deviceId}); CPU ${m.cpuModel}, ${m.logicalCores} logical cores; Node ${m.node}.`,
    '',
    '## Parity on the GPU',
    '',
    'fp32 (TF32): fp32 weights with TF32 matrix products, the CUDA provider\'s default, held to the half-precision ' +
      'limits; fp32: the same with NVIDIA_TF32_OVERRIDE=0, exact fp32 arithmetic.',
    '',
    '| model | arithmetic | texts | max abs diff | min cosine | result |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...report.parity.map(
      (p) =>
        `| ${p.model} | ${mathLabel(p)} | ${p.cases} | ${p.maxAbsDiff.toExponential(2)} | ${p.minCosine.toFixed(6)} | ${p.pass ? 'pass' : 'FAIL'} |`,
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
    ...peerLines(report),
  ];
  return lines.join('\n');
}
