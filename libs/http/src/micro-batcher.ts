/** What one flushed batch looked like, for metrics. */
export interface BatchReport {
  /** Items in the call (texts to encode, query vectors to search). */
  readonly items: number;
  readonly requests: number;
  readonly seconds: number;
}

export interface MicroBatcherOptions {
  /** How long the first item of a batch waits for company (ms). */
  readonly maxWaitMs: number;
  /** Items per call; a single request with more items than this still goes as one call. */
  readonly maxBatch: number;
  /** Calls running at once (the inference threads): more would only queue in their pool. */
  readonly maxInFlight?: number;
  readonly onBatch?: (report: BatchReport) => void;
}

interface Pending<Item, Result> {
  readonly items: readonly Item[];
  readonly resolve: (results: Result[]) => void;
  readonly reject: (error: unknown) => void;
}

/** One call over a whole batch: result i belongs to item i. */
export type RunBatch<Item, Result> = (items: readonly Item[]) => Promise<readonly Result[]>;

/**
 * Coalesces concurrent requests into one call: the query encoder's inference calls and the memory
 * index's searches. Why: a forward pass over 32 short queries costs little more than over one (the
 * model's matrix products batch, and the per-call work — the worker-thread hop, session start, padding —
 * is paid once), and so does one GEMM of 32 query vectors against a resident collection; one call per
 * request caps throughput at one call per request while batching lets throughput grow with load.
 *
 * Bounded both ways: a batch leaves when it holds `maxBatch` items, or `maxWaitMs` after its first item
 * arrived, so a lone request waits at most `maxWaitMs`. While `maxInFlight` calls are running, nothing
 * leaves: items keep gathering (up to `maxBatch`) and go in the next call the moment one finishes, which
 * is what makes batches grow under load instead of queueing inside the runtime. A request's items always
 * travel in one call together.
 *
 * Hand-written because it is the service's core scheduling policy and tiny; a generic batching library
 * would still need this policy expressed around it.
 */
export class MicroBatcher<Item, Result> {
  private queue: Pending<Item, Result>[] = [];
  private queuedItems = 0;
  /** Cancels the pending wait of the current batch, if any. */
  private timer: (() => void) | undefined;
  private waitOver = false;
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(
    private readonly runBatch: RunBatch<Item, Result>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (!(options.maxBatch >= 1))
      throw new RangeError(`maxBatch must be at least 1, got ${options.maxBatch}`);
    if (!(options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${options.maxWaitMs}`);
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Runs `items` (in one call with whatever else is waiting); resolves with one result per item. */
  submit(items: readonly Item[]): Promise<Result[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      // A request that does not fit beside what is waiting sends the waiting batch first.
      if (this.queuedItems > 0 && this.queuedItems + items.length > this.options.maxBatch)
        this.waitOver = true;
      this.pump();
      this.queue.push({ items, resolve, reject });
      this.queuedItems += items.length;
      if (this.queuedItems >= this.options.maxBatch) this.waitOver = true;
      else this.timer ??= this.startWait();
      this.pump();
    });
  }

  /** Items waiting for a call. */
  get waiting(): number {
    return this.queuedItems;
  }

  /**
   * A wait of 0 lasts one turn of the event loop (setImmediate), not a 1 ms timer: what arrives in the
   * same turn — every request an encoder batch just released, the queries of one request — still travels
   * together, and a lone request pays no timer.
   */
  private startWait(): () => void {
    if (this.options.maxWaitMs === 0) {
      const immediate = setImmediate(() => this.expire());
      return () => clearImmediate(immediate);
    }
    const timeout = setTimeout(() => this.expire(), this.options.maxWaitMs);
    return () => clearTimeout(timeout);
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

  /** Whole requests, in arrival order, up to maxBatch items (at least one request). */
  private takeBatch(): Pending<Item, Result>[] {
    this.timer?.();
    this.timer = undefined;
    let items = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = this.queue[count]!.items.length;
      if (count > 0 && items + next > this.options.maxBatch) break;
      items += next;
      count += 1;
    }
    const batch = this.queue.slice(0, count);
    this.queue = this.queue.slice(count);
    this.queuedItems -= items;
    return batch;
  }

  private async run(batch: Pending<Item, Result>[]): Promise<void> {
    this.inFlight += 1;
    const started = process.hrtime.bigint();
    try {
      const items = batch.flatMap((pending) => pending.items);
      const results = await this.runBatch(items);
      if (results.length !== items.length) {
        throw new Error(`a batch call returned ${results.length} results for ${items.length} items`);
      }
      this.options.onBatch?.({
        items: items.length,
        requests: batch.length,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
      let next = 0;
      for (const pending of batch) {
        pending.resolve(results.slice(next, next + pending.items.length));
        next += pending.items.length;
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }
}
