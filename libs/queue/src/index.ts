export { QUEUES, DEFAULT_PREFIX, qualifiedQueueName } from './queue-names.ts';
export { collectionNameSchema, parseCollectionName } from './collection-name.ts';
export {
  isShardOf,
  isEmbeddedWith,
  shardKey,
  shardJobId,
  shardJobIdPrefix,
  finalizeJobId,
  sealJobId,
  deadLetterJobId,
} from './job-ids.ts';
export {
  passageSchema,
  shardSourceSchema,
  shardJobSchema,
  sealJobSchema,
  shardQueueJobSchema,
  finalizeJobSchema,
  deadLetterSchema,
  type Passage,
  type ShardSource,
  type ShardJobData,
  type SealJobData,
  type ShardQueueJobData,
  type FinalizeJobData,
  type DeadLetterData,
} from './job-data.ts';
export {
  createRedisConnection,
  queueOptions,
  redactRedisUrl,
  RedisUnreachableError,
  waitForRedis,
  type RedisClient,
  type RedisConnectionOptions,
  type WaitForRedisOptions,
} from './redis-connection.ts';
export {
  checkRedisSettings,
  RedisSettingsError,
  REDIS_FLAG_NAMES,
  type RedisSettings,
  type RedisSettingNames,
} from './redis-settings.ts';
export {
  isRedisConnectionError,
  logRedisOutages,
  type OutageLog,
  type OutageLogOptions,
} from './redis-outage-log.ts';
export { scanKeys } from './scan-keys.ts';
export { IngestManifest, type IngestSnapshot } from './ingest-manifest.ts';
