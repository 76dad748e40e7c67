import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport } from './micro-batcher.ts';

/** Queue depths by queue and state, read when Prometheus scrapes (see routes/metrics.ts). */
export type QueueDepths = () => Promise<{ queue: string; state: string; jobs: number }[]>;

/**
 * The service's Prometheus metrics, in a registry of its own (several servers may live in one process,
 * as in the tests). Names follow Prometheus conventions: base units, `_total` counters.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new Histogram({
    name: 'embedline_api_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly encoderBatchTexts = new Histogram({
    name: 'embedline_api_encoder_batch_texts',
    help: 'Texts per micro-batched inference call',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly encoderBatchRequests = new Histogram({
    name: 'embedline_api_encoder_batch_requests',
    help: 'Requests sharing one micro-batched inference call',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly encoderBatchSeconds = new Histogram({
    name: 'embedline_api_encoder_batch_duration_seconds',
    help: 'Time of one inference call (tokenize, infer, pool)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly searchBatchQueries = new Histogram({
    name: 'embedline_api_search_batch_queries',
    help: 'Query vectors per memory-index search call',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly queryCache = new Counter({
    name: 'embedline_api_query_cache_total',
    help: 'Query embedding cache lookups by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** How often callers send texts longer than the model reads (cut to max_seq_length): a sign to tell them. */
  readonly truncatedTexts = new Counter({
    name: 'embedline_api_truncated_texts_total',
    help: 'Queries and embed inputs longer than the model reads (only their first max_seq_length tokens embedded)',
    registers: [this.registry],
  });
  readonly storeSeconds = new Histogram({
    name: 'embedline_api_store_duration_seconds',
    help: 'Vector store call latency by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(queueDepths?: QueueDepths) {
    collectDefaultMetrics({ register: this.registry, prefix: 'embedline_api_' });
    if (queueDepths !== undefined) {
      new Gauge({
        name: 'embedline_queue_jobs',
        help: 'Jobs in the pipeline queues by state, read at scrape time',
        labelNames: ['queue', 'state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const { queue, state, jobs } of await queueDepths()) this.set({ queue, state }, jobs);
        },
      });
    }
  }

  observeSearchBatch(report: BatchReport): void {
    this.searchBatchQueries.observe(report.items);
  }

  /** The memory index's resident points per collection, read at scrape time. */
  watchMemoryIndex(usage: () => readonly { collection: string; points: number; bytes: number }[]): void {
    new Gauge({
      name: 'embedline_api_memory_index_points',
      help: 'Points held in memory (searched exactly, without the store) by collection',
      labelNames: ['collection'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { collection, points } of usage()) this.set({ collection }, points);
      },
    });
  }

  observeEncoderBatch(report: BatchReport): void {
    this.encoderBatchTexts.observe(report.items);
    this.encoderBatchRequests.observe(report.requests);
    this.encoderBatchSeconds.observe(report.seconds);
  }
}
