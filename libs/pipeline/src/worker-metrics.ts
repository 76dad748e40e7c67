import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a shard job attempt ended, as `embedline_worker_shards_total` counts it. */
export type ShardAttemptOutcome = 'stored' | 'retrying' | 'dead_lettered';

/**
 * A worker process's Prometheus metrics, in a registry of its own (tests run several workers in one process).
 * What a GPU fleet's operator watches per worker: passages and tokens embedded (rate() gives passages/s per GPU),
 * shard time, shards retried or dead-lettered, shards in hand, finalize runs; plus the process's own metrics
 * (CPU, memory, event-loop lag) under the same prefix. Queue depths come from the API's /metrics, or KEDA.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly shards = new Counter({
    name: 'embedline_worker_shards_total',
    help: 'Shard job attempts by collection and outcome (stored, retrying, dead_lettered)',
    labelNames: ['collection', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly passages = new Counter({
    name: 'embedline_worker_passages_total',
    help: 'Passages embedded and stored',
    labelNames: ['collection'] as const,
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'embedline_worker_tokens_total',
    help: 'Tokens the model computed, by kind: real (the passages) or padded (real + batch padding)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly shardSeconds = new Histogram({
    name: 'embedline_worker_shard_duration_seconds',
    help: 'Time to embed and store one shard (read, tokenize, infer, write, record)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly activeShards = new Gauge({
    name: 'embedline_worker_active_shards',
    help: 'Shards this process is embedding or writing now',
    registers: [this.registry],
  });
  readonly finalizeSeconds = new Histogram({
    name: 'embedline_worker_finalize_duration_seconds',
    help: 'Time of one finalize run (compaction, index build, count check), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'embedline_worker_' });
  }

  /** Times one shard attempt; the returned function records its end. */
  startShard(): (result?: { collection: string; stored: number; realTokens: number; paddedTokens: number }) => void {
    this.activeShards.inc();
    const stop = this.shardSeconds.startTimer();
    return (result) => {
      this.activeShards.dec();
      if (result === undefined) return;
      stop();
      this.shards.inc({ collection: result.collection, outcome: 'stored' });
      this.passages.inc({ collection: result.collection }, result.stored);
      this.tokens.inc({ kind: 'real' }, result.realTokens);
      this.tokens.inc({ kind: 'padded' }, result.paddedTokens);
    };
  }

  shardFailed(collection: string, outcome: Exclude<ShardAttemptOutcome, 'stored'>): void {
    this.shards.inc({ collection, outcome });
  }
}
