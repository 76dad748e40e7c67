import type { ExecutionOptions } from './execution.ts';

/** Handed to every inference thread when the pool starts. */
export interface InferenceWorkerConfig {
  readonly onnxPath: string;
  readonly execution: ExecutionOptions;
  readonly dimension: number;
  readonly normalize: boolean;
  /** `graph`: pooling appended to the ONNX graph (graph-pooling.ts); `host`: pooled in this thread (pooling.ts). */
  readonly pooling: 'graph' | 'host';
}

/** One padded batch to embed (see batching/pad-batch.ts). */
export interface EmbedTask {
  readonly kind: 'embed';
  readonly ids: Int32Array;
  readonly lengths: Int32Array;
  readonly seqLen: number;
}

/** Asks a thread how its session came up (provider, fallback, graph inputs). */
export interface DescribeTask {
  readonly kind: 'describe';
}

export type InferenceTask = EmbedTask | DescribeTask;
