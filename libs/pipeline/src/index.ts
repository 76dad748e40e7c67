export { ingestCorpus, SHARD_ATTEMPTS, type IngestOptions, type IngestProgress, type IngestSummary } from './ingest-corpus.ts';
export { readIngestStatus, replayFailedShards, type IngestStatus } from './ingest-status.ts';
export { startShardWorkers, type ShardWorkers, type ShardWorkersOptions } from './shard-workers.ts';
export { embedShard, type EmbedShardDeps, type EmbedShardResult } from './embed-shard.ts';
export { finalizeIngest } from './finalize-ingest.ts';
export { planShards, type PlannedShard, type PlanOptions } from './plan-shards.ts';
export { fingerprintCorpus } from './corpus-fingerprint.ts';
export { ShardMismatchError } from './errors/shard-mismatch-error.ts';
export { StoredCountMismatchError } from './errors/stored-count-mismatch-error.ts';
