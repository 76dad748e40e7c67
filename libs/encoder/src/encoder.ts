import { Piscina } from 'piscina';
import { planBatches } from './batching/plan-batches.ts';
import { padBatch } from './batching/pad-batch.ts';
import type { EncodeStats, Embeddings } from './encode-result.ts';
import { encoderOptionsSchema, type EncoderOptions, type ResolvedEncoderOptions } from './encoder-options.ts';
import { EncoderInputError } from './errors/encoder-input-error.ts';
import { ModelLoadError } from './errors/model-load-error.ts';
import type { SessionInfo } from './infer/execution.ts';
import type { EmbedTask, InferenceTask, InferenceWorkerConfig } from './infer/inference-task.ts';
import { defaultLogger, type EncoderLogger } from './logger.ts';
import { loadModelSpec } from './model/load-model-spec.ts';
import type { ModelSpec } from './model/model-spec.ts';
import { TextTokenizer, type TokenizedText } from './tokenization/text-tokenizer.ts';
import { TokenizerPool } from './tokenization/tokenizer-pool.ts';
import { describeIssues } from './zod-issues.ts';

const workerFile = new URL('./infer/inference-worker.ts', import.meta.url).href;
/** Texts tokenized between two yields to the event loop, so the pool is fed while we tokenize. */
const TOKENIZE_SLICE = 64;
/**
 * Batches an inference thread holds: the one running and the next. When a forward pass ends the thread starts the
 * next at once, instead of waiting for this thread (in a worker: reading shards, building Arrow, talking to Redis)
 * to hand it one; on a GPU every such wait is the device idle in that session.
 */
const BATCHES_PER_INFERENCE_THREAD = 2;

/** What an encoder is running, for logs, health checks and stored collection metadata. */
export interface EncoderDescription {
  readonly modelDir: string;
  readonly variant: string;
  readonly dimension: number;
  readonly maxSeqLength: number;
  readonly normalized: boolean;
  readonly provider: 'cpu' | 'cuda';
  /** Where mean pooling runs (encoder option `pooling`; `host` when the graph cannot take it). */
  readonly pooling: 'graph' | 'host';
  /** The worker thread running inference (differs from the caller's threadId). */
  readonly inferenceThreadId: number;
}

/**
 * A sentence-transformers model on onnxruntime-node that gives the same embeddings as
 * `SentenceTransformer.encode()`. Batching runs on the calling thread, tokenization there too or on a
 * tokenizer pool (`tokenizerThreads`); inference, pooling and normalization run in a worker-thread
 * pool, so `encode()` never blocks the event loop for a forward pass, and the next window of texts
 * is tokenized while the current one runs.
 */
export class Encoder {
  private constructor(
    private readonly spec: ModelSpec,
    private readonly options: ResolvedEncoderOptions,
    private readonly tokenizer: TextTokenizer,
    private readonly pool: Piscina<InferenceTask, SessionInfo | Float32Array>,
    private readonly session: SessionInfo,
    private readonly padId: number,
    private readonly tokenizers: TokenizerPool | undefined,
  ) {}

  static async load(options: EncoderOptions, logger: EncoderLogger = defaultLogger()): Promise<Encoder> {
    const parsed = encoderOptionsSchema.safeParse(options);
    if (!parsed.success) throw new TypeError(`invalid encoder options: ${describeIssues(parsed.error)}`);
    const resolved = parsed.data;
    const spec = loadModelSpec(resolved.modelDir, { variant: resolved.variant, maxSeqLength: resolved.maxSeqLength });
    const tokenizer = new TextTokenizer(spec);
    const workerData: InferenceWorkerConfig = {
      onnxPath: spec.onnxPath,
      dimension: spec.dimension,
      normalize: spec.normalize,
      pooling: resolved.pooling,
      execution: {
        provider: resolved.provider,
        deviceId: resolved.deviceId,
        intraOpThreads: resolved.intraOpThreads,
        interOpThreads: resolved.interOpThreads,
        intraOpSpinning: resolved.intraOpSpinning,
      },
    };
    const pool = new Piscina<InferenceTask, SessionInfo | Float32Array>({
      filename: workerFile,
      minThreads: resolved.inferenceThreads,
      maxThreads: resolved.inferenceThreads,
      concurrentTasksPerWorker: BATCHES_PER_INFERENCE_THREAD,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
    let session: SessionInfo;
    try {
      session = (await pool.run({ kind: 'describe' })) as SessionInfo;
    } catch (error) {
      await pool.destroy();
      throw new ModelLoadError(spec.onnxPath, `cannot be loaded by onnxruntime: ${(error as Error).message}`, {
        cause: error,
      });
    }
    reportProvider(resolved, session, logger);
    const padToken = spec.tokenizerConfig.pad_token;
    const padId = (typeof padToken === 'string' ? tokenizer.tokenToId(padToken) : undefined) ?? 0;
    let tokenizers: TokenizerPool | undefined;
    if (resolved.tokenizerThreads > 0) {
      try {
        tokenizers = await TokenizerPool.start(spec, resolved.tokenizerThreads);
      } catch (error) {
        await pool.destroy();
        throw error;
      }
    }
    const encoder = new Encoder(spec, resolved, tokenizer, pool, session, padId, tokenizers);
    const d = encoder.describe();
    logger.info(
      `encoder ready: ${d.modelDir} (${d.variant}) on ${describeDevice(d.provider, resolved.deviceId)}, ` +
        `${d.dimension}-d, max_seq_length ${d.maxSeqLength}`,
    );
    return encoder;
  }

  describe(): EncoderDescription {
    return {
      modelDir: this.spec.dir,
      variant: this.spec.variant,
      dimension: this.spec.dimension,
      maxSeqLength: this.spec.maxSeqLength,
      normalized: this.spec.normalize,
      provider: this.session.provider,
      pooling: this.session.pooling,
      inferenceThreadId: this.session.threadId,
    };
  }

  /** Token ids exactly as the model sees them: [CLS] ... [SEP], truncated at max_seq_length. */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /** Embeds texts; row i of the result is text i. Every string is accepted, "" included. */
  async encode(texts: readonly string[]): Promise<Embeddings> {
    texts.forEach((text, index) => {
      if (typeof text !== 'string') throw new EncoderInputError(index, `expected a string, got ${describeType(text)}`);
    });
    const dimension = this.spec.dimension;
    const vectors = new Float32Array(texts.length * dimension);
    const truncated = new Uint8Array(texts.length);
    const stats: Mutable<EncodeStats> = { texts: texts.length, batches: 0, realTokens: 0, paddedTokens: 0, atMaxLength: 0 };
    const running: Promise<void>[] = [];
    for (let start = 0; start < texts.length; start += this.options.sortWindow) {
      const window = texts.slice(start, start + this.options.sortWindow);
      const windowTruncated = truncated.subarray(start, start + window.length);
      const tokenized = await this.tokenizeWindow(window, stats, windowTruncated);
      for (const plan of planBatches(tokenized.map((ids) => ids.length), this.options)) {
        const batch = padBatch(tokenized, plan, this.padId);
        stats.batches += 1;
        stats.paddedTokens += batch.batchSize * batch.seqLen;
        const task: EmbedTask = { kind: 'embed', ids: batch.ids, lengths: batch.lengths, seqLen: batch.seqLen };
        const placed = this.runTask(task).then((pooled) => {
          plan.indices.forEach((index, row) => {
            vectors.set(pooled.subarray(row * dimension, (row + 1) * dimension), (start + index) * dimension);
          });
        });
        running.push(placed);
      }
    }
    await Promise.all(running);
    return { vectors, count: texts.length, dimension, truncated, stats };
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.tokenizers?.close()]);
  }

  /** The window's token ids; counts them in `stats` and sets `truncated[i]` for each text i that was cut. */
  private async tokenizeWindow(
    window: readonly string[],
    stats: Mutable<EncodeStats>,
    truncated: Uint8Array,
  ): Promise<readonly ArrayLike<number>[]> {
    const tokenized: readonly TokenizedText<ArrayLike<number>>[] =
      this.tokenizers === undefined
        ? await this.tokenizeHere(window)
        : await this.tokenizers.tokenize(window);
    return tokenized.map(({ ids, truncated: cut }, i) => {
      stats.realTokens += ids.length;
      if (ids.length === this.spec.maxSeqLength) stats.atMaxLength += 1;
      if (cut) truncated[i] = 1;
      return ids;
    });
  }

  private async tokenizeHere(window: readonly string[]): Promise<TokenizedText[]> {
    const tokenized: TokenizedText[] = [];
    for (let i = 0; i < window.length; i++) {
      if (i > 0 && i % TOKENIZE_SLICE === 0) await yieldToEventLoop();
      tokenized.push(this.tokenizer.tokenize(window[i]!));
    }
    return tokenized;
  }

  private async runTask(task: EmbedTask): Promise<Float32Array> {
    const transferList = [task.ids.buffer, task.lengths.buffer] as ArrayBuffer[];
    return (await this.pool.run(task, { transferList })) as Float32Array;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** One line either way: which device runs the model, and why not the GPU when one was asked for. */
function reportProvider(options: ResolvedEncoderOptions, session: SessionInfo, logger: EncoderLogger): void {
  if (session.fallbackReason === undefined) return;
  const line = `cuda execution provider unavailable (${session.fallbackReason}); running on cpu`;
  // Asked for CUDA and did not get it: a misconfigured GPU worker, worth a warning. `auto` on a CPU box is normal.
  if (options.provider === 'cuda') logger.warn(line);
  else logger.info(line);
}

function describeDevice(provider: 'cpu' | 'cuda', deviceId: number): string {
  if (provider === 'cpu') return 'cpu';
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  return `cuda:${deviceId}${visible === undefined ? '' : ` (CUDA_VISIBLE_DEVICES=${visible})`}`;
}
