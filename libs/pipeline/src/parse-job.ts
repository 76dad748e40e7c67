import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import {
  finalizeJobSchema,
  shardQueueJobSchema,
  type FinalizeJobData,
  type ShardQueueJobData,
} from '@embedline/queue';

/**
 * A job's data as this worker understands it, or an UnrecoverableError saying why not (no retry can help: the
 * job goes to the dead-letter queue with the message). Fields this worker does not know are refused, not
 * dropped: they come from a newer producer (ingest --title-field changed how a shard is embedded, and an older
 * worker silently embedded the text alone), so the answer is to upgrade the workers and replay the shard.
 */
export function parseShardJob(id: string | undefined, data: unknown): ShardQueueJobData {
  return parseJob('shard', id, data, shardQueueJobSchema);
}

export function parseFinalizeJob(id: string | undefined, data: unknown): FinalizeJobData {
  return parseJob('finalize', id, data, finalizeJobSchema);
}

function parseJob<T>(kind: string, jobId: string | undefined, data: unknown, schema: z.ZodType<T>): T {
  const id = jobId ?? '(no id)';
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const unknown = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key].join('.')) : [],
  );
  if (unknown.length > 0) {
    throw new UnrecoverableError(
      `${kind} job ${id}: fields this worker does not know (${unknown.join(', ')}): it was queued by a newer ` +
        'producer; upgrade the workers, then re-queue it (ingest --replay-failed)',
    );
  }
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || 'the job'}: ${issue.message}`,
  );
  throw new UnrecoverableError(`${kind} job ${id}: malformed: ${problems.join('; ')}`);
}
