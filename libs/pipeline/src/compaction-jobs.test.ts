import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Queue } from 'bullmq';
import type { CompactionOutcome } from '@embedline/store';
import type { ShardJobData } from '@embedline/queue';
import { handOverCompaction, runCompactionJob } from './compaction-jobs.ts';
import { WorkerMetrics } from './worker-metrics.ts';

const SHARD: ShardJobData = {
  kind: 'shard',
  collection: 'docs',
  fingerprint: '0123456789abcdef0123',
  shardIndex: 7,
  records: 10,
  source: { kind: 'inline', passages: [{ id: '1', text: 'x' }] },
};

/** A store whose compactions are counted, and a queue whose adds are recorded. */
function fakes(outcome: CompactionOutcome = 'compacted') {
  const compacted: string[] = [];
  const added: { name: string; data: unknown; opts: Record<string, unknown> }[] = [];
  const store = {
    compact: async (name: string) => {
      compacted.push(name);
      return outcome;
    },
  };
  const queue = {
    add: async (name: string, data: unknown, opts: Record<string, unknown>) => {
      added.push({ name, data, opts });
    },
  } as unknown as Queue;
  return { compacted, added, store, queue };
}

test("a shard's due compaction becomes a child of its finalize job, keyed on the version", async () => {
  const { compacted, added, store, queue } = fakes();
  const parent = { id: 'finalize-docs-0123456789abcdef', queueKey: 'pfx:finalize' };
  await handOverCompaction(queue, { parent }, SHARD, 2000, store);
  assert.deepEqual(compacted, [], 'nothing compacted by the embedding worker');
  assert.equal(added.length, 1);
  assert.equal(added[0]!.name, 'compact');
  assert.deepEqual(added[0]!.data, { collection: 'docs', fingerprint: SHARD.fingerprint, version: 2000 });
  assert.equal(added[0]!.opts['jobId'], 'compact-docs-0123456789abcdef-v2000');
  assert.deepEqual(added[0]!.opts['parent'], { id: parent.id, queue: parent.queueKey });
  assert.equal(
    added[0]!.opts['ignoreDependencyOnFailure'],
    true,
    'a failed compaction does not block finalize',
  );
});

test('a shard outside an ingest flow (no parent) compacts where it runs', async () => {
  const { compacted, added, store, queue } = fakes();
  await handOverCompaction(queue, { parent: undefined }, SHARD, 4000, store);
  assert.deepEqual(compacted, ['docs']);
  assert.deepEqual(added, []);
});

test('a compaction job compacts its collection and counts the outcome; a malformed one is an error naming it', async () => {
  const { compacted, store } = fakes('lost-race');
  const metrics = new WorkerMetrics();
  const done = await runCompactionJob(
    { id: 'compact-docs-x-v6', data: { collection: 'docs', fingerprint: SHARD.fingerprint, version: 6 } },
    store,
    metrics,
  );
  assert.deepEqual(done, { collection: 'docs', version: 6, outcome: 'lost-race' });
  assert.deepEqual(compacted, ['docs']);
  assert.match(
    await metrics.registry.metrics(),
    /embedline_worker_compactions_total\{collection="docs",outcome="lost_race"\} 1/,
  );
  await assert.rejects(
    runCompactionJob({ id: 'bad-1', data: { collection: 'docs' } }, store),
    /job bad-1: malformed compaction job/,
  );
  const none = await runCompactionJob(
    { id: 'q', data: { collection: 'docs', fingerprint: SHARD.fingerprint, version: 3 } },
    {},
  );
  assert.equal(none.outcome, 'not-needed', 'a store without upkeep (Qdrant) has nothing to do');
});
