/** Where and how inference runs; chosen by configuration, never guessed. */
export interface ExecutionOptions {
  /**
   * `cuda` runs on an NVIDIA GPU through onnxruntime's CUDA provider, falling back to `cpu` with a warning;
   * `auto` uses the GPU when one is visible and the provider is installed, else the CPU, saying which.
   */
  readonly provider: 'cpu' | 'cuda' | 'auto';
  /** GPU ordinal for `cuda` (after CUDA_VISIBLE_DEVICES remapping). */
  readonly deviceId: number;
  /** Threads inside one operator (matrix multiply); 0 lets onnxruntime use every core. */
  readonly intraOpThreads: number;
  /** Threads across independent operators; 1 is best for BERT-like graphs. */
  readonly interOpThreads: number;
  /** Whether idle intra-op threads spin (busy-wait) for the next operator instead of sleeping. */
  readonly intraOpSpinning: boolean;
}

/** What the inference thread reports once its session is up. */
export interface SessionInfo {
  readonly provider: 'cpu' | 'cuda';
  /** Why `cuda` or `auto` was asked for and `cpu` is used, when that happened. */
  readonly fallbackReason?: string;
  readonly inputNames: readonly string[];
  /** The worker thread that runs the session (never the caller's). */
  readonly threadId: number;
  readonly outputName: string;
  /** Where mean pooling runs: appended to the graph (only [batch, dim] leaves the session) or on the host. */
  readonly pooling: 'graph' | 'host';
}
