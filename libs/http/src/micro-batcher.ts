/** What one flushed batch looked like, for metrics. */
export interface BatchReport {
  readonly texts: number;
  readonly requests: number;
  readonly seconds: number;
}

export interface MicroBatcherOptions {
  /** How long the first text of a batch waits for company (ms). */
  readonly maxWaitMs: number;
  /** Texts per call; a single request with more texts than this still goes as one call. */
  readonly maxBatch: number;
  /** Calls running at once (the encoder's inference threads): more would only queue in its pool. */
  readonly maxInFlight?: number;
  readonly onBatch?: (report: BatchReport) => void;
}

interface Pending {
  readonly texts: readonly string[];
  readonly resolve: (rows: Float32Array[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Any batch encoder: row i of `vectors` (`count x dimension`) embeds text i. */
export type EncodeBatch = (texts: readonly string[]) => Promise<{ vectors: Float32Array; dimension: number }>;

/**
 * Coalesces concurrent encodes into one inference call. Why: a forward pass over 32 short queries costs
 * little more than over one (the model's matrix products batch, and the per-call work — the worker-thread
 * hop, session start, padding — is paid once), so encoding requests one at a time caps throughput at one
 * forward pass per request while batching lets throughput grow with load.
 *
 * Bounded both ways: a batch leaves when it holds `maxBatch` texts, or `maxWaitMs` after its first text
 * arrived, so a lone request waits at most `maxWaitMs`. While `maxInFlight` calls are running, nothing
 * leaves: texts keep gathering (up to `maxBatch`) and go in the next call the moment one finishes, which
 * is what makes batches grow under load instead of queueing inside the encoder. A request's texts always
 * travel in one call together.
 *
 * Hand-written because it is the service's core scheduling policy and tiny; a generic batching library
 * would still need this policy expressed around it.
 */
export class MicroBatcher {
  private queue: Pending[] = [];
  private queuedTexts = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitOver = false;
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(
    private readonly encodeBatch: EncodeBatch,
    private readonly options: MicroBatcherOptions,
  ) {
    if (!(options.maxBatch >= 1))
      throw new RangeError(`maxBatch must be at least 1, got ${options.maxBatch}`);
    if (!(options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${options.maxWaitMs}`);
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Embeds `texts` (in one call with whatever else is waiting); resolves with one vector per text. */
  encode(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      // A request that does not fit beside what is waiting sends the waiting batch first.
      if (this.queuedTexts > 0 && this.queuedTexts + texts.length > this.options.maxBatch)
        this.waitOver = true;
      this.pump();
      this.queue.push({ texts, resolve, reject });
      this.queuedTexts += texts.length;
      if (this.queuedTexts >= this.options.maxBatch) this.waitOver = true;
      else this.timer ??= setTimeout(() => this.expire(), this.options.maxWaitMs);
      this.pump();
    });
  }

  /** Texts waiting for a call. */
  get waiting(): number {
    return this.queuedTexts;
  }

  private expire(): void {
    this.timer = undefined;
    this.waitOver = true;
    this.pump();
  }

  /** Sends the waiting batch if its wait is over and a call slot is free. */
  private pump(): void {
    if (!this.waitOver || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    const batch = this.takeBatch();
    // Requests left out of a full batch have waited already: they go as soon as a call slot frees.
    this.waitOver = this.queue.length > 0;
    void this.run(batch);
  }

  /** Whole requests, in arrival order, up to maxBatch texts (at least one request). */
  private takeBatch(): Pending[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    let texts = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = this.queue[count]!.texts.length;
      if (count > 0 && texts + next > this.options.maxBatch) break;
      texts += next;
      count += 1;
    }
    const batch = this.queue.slice(0, count);
    this.queue = this.queue.slice(count);
    this.queuedTexts -= texts;
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    this.inFlight += 1;
    const started = process.hrtime.bigint();
    try {
      const texts = batch.flatMap((pending) => pending.texts);
      const { vectors, dimension } = await this.encodeBatch(texts);
      this.options.onBatch?.({
        texts: texts.length,
        requests: batch.length,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
      let row = 0;
      for (const pending of batch) {
        pending.resolve(
          pending.texts.map(() => {
            const vector = vectors.slice(row * dimension, (row + 1) * dimension);
            row += 1;
            return vector;
          }),
        );
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }
}
