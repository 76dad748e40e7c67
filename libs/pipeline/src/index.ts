export {
  ingestCorpus,
  SHARD_ATTEMPTS,
  DEFAULT_SHARD_RETRY,
  type IngestOptions,
  type IngestProgress,
  type IngestSummary,
  type ShardRetryPolicy,
} from './ingest-corpus.ts';
export {
  INGEST_STATES,
  readIngestStatus,
  replayFailedShards,
  type FinalizeStatus,
  type IngestState,
  type IngestStatus,
} from './ingest-status.ts';
export {
  startShardWorkers,
  WORKER_QUEUES,
  type ShardWorkers,
  type ShardWorkersOptions,
  type WorkerQueue,
} from './shard-workers.ts';
export { defaultShardConcurrency } from './shard-concurrency.ts';
export { embedShard, type EmbedShardDeps, type EmbedShardResult } from './embed-shard.ts';
export { loadShardPassages, type LoadShardOptions } from './shard-passages.ts';
export { exportShard, exportPaths } from './export-shard.ts';
export { fetchByteRange, checkRemoteCorpus, isRemoteCorpus } from './remote-range.ts';
export { finalizeIngest } from './finalize-ingest.ts';
export { planShards, type PlannedShard, type PlanOptions } from './plan-shards.ts';
export { fingerprintCorpus } from './corpus-fingerprint.ts';
export { ShardMismatchError } from './errors/shard-mismatch-error.ts';
export { StoredCountMismatchError } from './errors/stored-count-mismatch-error.ts';
export { RemoteCorpusError } from './errors/remote-corpus-error.ts';
export { WorkerMetrics, type ShardAttemptOutcome } from './worker-metrics.ts';
