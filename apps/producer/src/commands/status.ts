import { Command } from 'commander';
import type { EmbedlineEnv } from '@embedline/config';
import { readIngestStatus, type IngestStatus } from '@embedline/pipeline';
import { parseCollectionName } from '@embedline/queue';
import { connectRedis, formatDuration, withRedisOptions, type RedisFlags } from '../options.ts';

export function statusCommand(env: EmbedlineEnv): Command {
  const command = new Command('status')
    .description("Show a collection's ingest: shards waiting/active/done/failed, throughput, ETA.")
    .argument('<collection>')
    .option('--json', 'print JSON instead of text');
  return withRedisOptions(command, env).action(
    async (collection: string, flags: RedisFlags & { json?: boolean }) => {
      const connection = await connectRedis(flags);
      try {
        const status = await readIngestStatus(connection, flags.prefix, parseCollectionName(collection));
        // A collection with no ingest here is an error (exit 1): most often a typo, or another Redis or prefix.
        if (status.snapshot === undefined && !flags.json)
          throw new Error(formatStatus(collection, status, flags.prefix));
        console.log(
          flags.json ? JSON.stringify(status, null, 2) : formatStatus(collection, status, flags.prefix),
        );
        if (status.snapshot === undefined) process.exitCode = 1;
      } finally {
        await connection.quit();
      }
    },
  );
}

export function formatStatus(collection: string, status: IngestStatus, prefix: string): string {
  const s = status.snapshot;
  if (!s)
    return `${collection}: no ingest recorded in this Redis under the prefix "${prefix}"; run \`ingest\` (it resumes from the store)`;
  const lines = [
    `${collection}: ${status.state}`,
    `  corpus       ${s.corpus} (fingerprint ${s.fingerprint.slice(0, 16)})`,
    `  embeds       ${s.titleField === undefined ? 'text' : `"${s.titleField}" + " " + text (--title-field ${s.titleField})`}`,
    `  records      ${s.acceptedRecords} accepted, ${s.rejectedRecords} rejected${s.sealed ? '' : ' so far'}`,
    `  shards       ${s.doneShards}/${s.totalShards}${s.sealed ? '' : '+'} done; queue: ${status.queue.waiting} waiting, ${status.queue.active} active, ${status.queue.failed} failed`,
    `  passages     ${s.doneRecords} embedded`,
  ];
  if (status.producerSilentSeconds !== undefined) {
    const since = formatDuration(status.producerSilentSeconds);
    lines.push(
      `  producer     not heard from for ${since}: it may have stopped (re-run the same ingest to resume)`,
    );
  }
  if (status.passagesPerSecond !== undefined) {
    const eta = status.etaSeconds === undefined ? '' : `, ETA ${formatDuration(status.etaSeconds)}`;
    lines.push(`  throughput   ${status.passagesPerSecond.toFixed(0)} passages/s${eta}`);
  }
  if (s.finalizedAt !== undefined)
    lines.push(`  finalized    ${new Date(s.finalizedAt).toISOString()}: ${s.storedCount} points stored`);
  const finalize = status.finalize;
  if (finalize?.state === 'waiting')
    lines.push('  finalize     queued: waiting for a worker that consumes the finalize queue');
  if (finalize?.state === 'active')
    lines.push(`  finalize     running since ${new Date(finalize.startedAt ?? Date.now()).toISOString()}`);
  if (finalize?.state === 'failed') {
    lines.push(
      `  FAILED       finalize: ${finalize.error ?? 'no reason recorded'} (fix the cause, then re-run the same ingest: it finalizes again)`,
    );
  }
  for (const dead of status.deadLetters) {
    lines.push(
      `  FAILED       shard ${dead.shardIndex} after ${dead.attempts} attempts: ${dead.error} (replay: ingest --replay-failed)`,
    );
  }
  return lines.join('\n');
}
