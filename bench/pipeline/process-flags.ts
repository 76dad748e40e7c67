/** The flags every pipeline benchmark shares: how many processes, threads, shards in flight, backpressure, device. */
import { availableParallelism } from 'node:os';
import { defaultShardConcurrency } from '@embedline/pipeline';
import { nonNegativeInt, positiveInt } from '../encoder/protocol.ts';

/**
 * How both sides of a benchmark embed: the worker's EMBEDLINE_PROVIDER, EMBEDLINE_MODEL_VARIANT,
 * EMBEDLINE_INFERENCE_THREADS and EMBEDLINE_TOKENIZER_THREADS, and the same encoder options for encode-only.
 */
export interface EncoderDevice {
  readonly provider: 'cpu' | 'cuda';
  readonly variant: string;
  readonly inferenceThreads: number;
  readonly tokenizerThreads: number;
}

export const CPU_DEVICE: EncoderDevice = { provider: 'cpu', variant: 'fp32', inferenceThreads: 1, tokenizerThreads: 0 };

/** The device flags (defaults: CPU_DEVICE), shared by the benchmarks and the encode-only processes they start. */
export const DEVICE_FLAG_OPTIONS = {
  provider: { type: 'string', default: CPU_DEVICE.provider },
  variant: { type: 'string', default: CPU_DEVICE.variant },
  'inference-threads': { type: 'string', default: String(CPU_DEVICE.inferenceThreads) },
  'tokenizer-threads': { type: 'string', default: String(CPU_DEVICE.tokenizerThreads) },
} as const;

export const PROCESS_FLAG_OPTIONS = {
  workers: { type: 'string', default: '1' },
  threads: { type: 'string' },
  concurrency: { type: 'string' },
  'high-water-mark': { type: 'string', default: '200' },
  ...DEVICE_FLAG_OPTIONS,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The `--help` lines of the device flags, for each benchmark's own help text. */
export const DEVICE_FLAG_HELP = `  --provider cpu|cuda    where the workers and the encoder-only processes embed (cpu); cuda needs onnxruntime's CUDA
                         provider and libraries (run from bench/gpu.sh's environment, docs/gpu.md)
  --variant NAME         model file: fp32 (onnx/model.onnx), or fp16, O4, ... (onnx/model_<variant>.onnx)
  --inference-threads N  onnxruntime sessions per process (1; 2-4 on a GPU)
  --tokenizer-threads N  threads that tokenize per process (0 = the main thread; 8 on a GPU)`;

interface DeviceFlagValues {
  readonly provider: string;
  readonly variant: string;
  readonly 'inference-threads': string;
  readonly 'tokenizer-threads': string;
}

interface ProcessFlagValues extends DeviceFlagValues {
  readonly workers: string;
  readonly threads?: string;
  readonly concurrency?: string;
  readonly 'high-water-mark': string;
}

/**
 * Threads default to the cores split evenly between the worker processes; shards in flight to the worker's own
 * default for the device's inference threads (2 per thread), so a benchmark measures the layout a worker runs.
 */
export function processFlags(values: ProcessFlagValues) {
  const workers = positiveInt('workers', values.workers);
  const device = deviceFlags(values);
  return {
    workers,
    threads:
      values.threads === undefined
        ? Math.max(1, Math.floor(availableParallelism() / workers))
        : positiveInt('threads', values.threads),
    concurrency:
      values.concurrency === undefined
        ? defaultShardConcurrency(device.inferenceThreads)
        : positiveInt('concurrency', values.concurrency),
    highWaterMark: positiveInt('high-water-mark', values['high-water-mark']),
    device,
  };
}

/** The device flags' values, checked. */
export function deviceFlags(values: DeviceFlagValues): EncoderDevice {
  if (values.provider !== 'cpu' && values.provider !== 'cuda')
    throw new Error(`--provider must be cpu or cuda, got "${values.provider}"`);
  if (!/^[A-Za-z0-9_.-]+$/.test(values.variant)) throw new Error(`--variant "${values.variant}" is not a model variant name`);
  return {
    provider: values.provider,
    variant: values.variant,
    inferenceThreads: positiveInt('inference-threads', values['inference-threads']),
    tokenizerThreads: nonNegativeInt('tokenizer-threads', values['tokenizer-threads']),
  };
}

/** The command-line form of a device, as deviceFlags reads it back (for the encode-only processes). */
export function deviceFlagArgs(device: EncoderDevice): string[] {
  return [
    ...['--provider', device.provider, '--variant', device.variant],
    ...['--inference-threads', String(device.inferenceThreads), '--tokenizer-threads', String(device.tokenizerThreads)],
  ];
}

/** The same device as the workers' environment reads it (apps/worker's EMBEDLINE_* variables). */
export function deviceEnv(device: EncoderDevice): Record<string, string> {
  return {
    EMBEDLINE_MODEL_VARIANT: device.variant,
    EMBEDLINE_PROVIDER: device.provider,
    EMBEDLINE_INFERENCE_THREADS: String(device.inferenceThreads),
    EMBEDLINE_TOKENIZER_THREADS: String(device.tokenizerThreads),
  };
}

/** "fp32 on cpu" or "O4 on cuda, 4 sessions, 8 tokenizer threads": for the layout lines of the reports. */
export function describeDevice(device: EncoderDevice): string {
  const extras = [
    device.inferenceThreads > 1 ? `${device.inferenceThreads} sessions` : undefined,
    device.tokenizerThreads > 0 ? `${device.tokenizerThreads} tokenizer threads` : undefined,
  ].filter((part) => part !== undefined);
  return [`${device.variant} on ${device.provider}`, ...extras].join(', ');
}
