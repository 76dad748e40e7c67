import { z } from 'zod';

/**
 * Everything that tunes an encoder, validated once at load. Defaults suit a CPU; a GPU wants a much
 * larger `maxBatchTokens` (see docs/operations.md once it exists).
 */
export const encoderOptionsSchema = z.object({
  /** A sentence-transformers model folder (see loadModelSpec). */
  modelDir: z.string().min(1),
  /** `fp32` reads onnx/model.onnx; `O4`, `qint8`, ... read onnx/model_<variant>.onnx. */
  variant: z.string().min(1).default('fp32'),
  /** Truncate below the model's own max_seq_length (never above it). */
  maxSeqLength: z.number().int().min(2).optional(),
  /** `auto`: the GPU when one is visible and onnxruntime's CUDA provider is installed, else the CPU. */
  provider: z.enum(['cpu', 'cuda', 'auto']).default('cpu'),
  deviceId: z.number().int().min(0).default(0),
  /** Threads per operator inside one session; 0 = onnxruntime's choice (all cores). */
  intraOpThreads: z.number().int().min(0).default(0),
  interOpThreads: z.number().int().min(1).default(1),
  /**
   * Whether onnxruntime's idle intra-op threads busy-wait for the next operator instead of sleeping (its own
   * default is to spin). Off: on 2 CPU cores the same throughput for 25-45% less CPU with small models (a pipeline
   * worker shares its cores with Redis, LanceDB and the producer), no change with a DistilBERT-base-sized one;
   * spinning saves ~0.15 ms a single-query call on the tiny fixture model, nothing measurable on the base-sized
   * one (docs/operations.md, "CPU workers").
   */
  intraOpSpinning: z.boolean().default(false),
  /**
   * Where mean pooling runs: `graph` appends it to the ONNX graph at load (only [batch, dim] leaves onnxruntime:
   * what a GPU needs), `host` pools the [batch, length, dim] hidden states in the inference thread.
   */
  pooling: z.enum(['graph', 'host']).default('graph'),
  /**
   * Threads that tokenize. 0: the calling thread, between inference calls (right for a CPU, whose cores
   * run inference). A GPU can embed faster than one thread tokenizes: plain ASCII takes a ~120k
   * passages/s fast path, text with non-ASCII words ~39k/s, Greek ~14k/s, CJK ~7.6k/s (bert-wordpiece.ts): give it 2-8 (docs/gpu.md).
   */
  tokenizerThreads: z.number().int().min(0).default(0),
  /** Sessions in the worker-thread pool; one per device is right for CPU and a single GPU. */
  inferenceThreads: z.number().int().min(1).default(1),
  /** Batch size x padded length ceiling per inference call (text-embeddings-inference's max_batch_tokens). */
  maxBatchTokens: z.number().int().min(1).default(16384),
  // 32 measured best on CPU (bench/encoder): bigger batches pad more than they gain.
  maxBatchSize: z.number().int().min(1).default(32),
  /** Texts tokenized and length-sorted together before batching; the next window tokenizes while this one runs. */
  sortWindow: z.number().int().min(1).default(1024),
});

export type EncoderOptions = z.input<typeof encoderOptionsSchema>;
export type ResolvedEncoderOptions = z.output<typeof encoderOptionsSchema>;
