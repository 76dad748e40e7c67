import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RejectedRecord } from '@embedline/corpus';
import type { ShardJobData } from '@embedline/queue';
import { ShardMismatchError } from './errors/shard-mismatch-error.ts';
import { planShards } from './plan-shards.ts';
import { loadShardPassages } from './shard-passages.ts';

const FINGERPRINT = 'cd'.repeat(32);

describe('loadShardPassages: worker-side rejects name their true line', () => {
  let dir: string;
  let corpus: string;
  let producerRejects: RejectedRecord[];
  let jobs: ShardJobData[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'embedline-shard-lines-'));
    corpus = join(dir, 'collection.tsv');
    // 40 good lines; bad ones at lines 2, 13, 14, 27 and a duplicate at 33 (the worker skips it by offset).
    const lines = Array.from({ length: 40 }, (_, i) => `${i}\tpassage number ${i}`);
    lines.splice(1, 0, 'no separator');
    lines.splice(12, 0, '500\t  ', 'x9\tbad id');
    lines.splice(26, 0, 'also no separator');
    lines.splice(32, 0, '3\tduplicate of pid 3');
    writeFileSync(corpus, `${lines.join('\n')}\n`);
    producerRejects = [];
    jobs = [];
    const plan = planShards(corpus, {
      shardSize: 8,
      inline: false,
      onReject: (r) => void producerRejects.push(r),
    });
    for await (const shard of plan) {
      jobs.push({
        kind: 'shard',
        collection: 'lines',
        fingerprint: FINGERPRINT,
        shardIndex: shard.index,
        records: shard.records,
        source: shard.source,
      });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function workerRejects(job: ShardJobData): Promise<RejectedRecord[]> {
    const rejects: RejectedRecord[] = [];
    await loadShardPassages(job, { onReject: (r) => void rejects.push(r) });
    return rejects;
  }

  test("the producer puts the line of each shard's first record in its range job", () => {
    assert.deepEqual(
      jobs.map((job) => (job.source.kind === 'range' ? job.source.firstLine : undefined)),
      [1, 10, 20, 29, 38],
    );
  });

  test("the rejects workers meet in their ranges are the producer's, with the same line numbers", async () => {
    const seen = (await Promise.all(jobs.map(workerRejects))).flat();
    const expected = producerRejects.filter((r) => r.kind !== 'duplicate-id');
    assert.deepEqual(
      seen.map((r) => [r.line, r.kind, r.byteOffset]),
      expected.map((r) => [r.line, r.kind, r.byteOffset]),
    );
    assert.deepEqual(
      seen.map((r) => r.line),
      [2, 13, 14, 27],
    );
  });

  test('a job queued without firstLine (before it existed) still runs; its rejects say line 0 (unknown)', async () => {
    const job = jobs[1]!;
    assert.equal(job.source.kind, 'range');
    if (job.source.kind !== 'range') return;
    const { firstLine: _, ...legacySource } = job.source;
    const rejects = await workerRejects({ ...job, source: legacySource });
    assert.deepEqual(
      rejects.map((r) => [r.line, r.kind]),
      [
        [0, 'empty-text'],
        [0, 'bad-id'],
      ],
    );
  });

  test('a shard whose range no longer holds what ingest accepted fails, quoting the rejects by line', async () => {
    const job = jobs[1]!;
    await assert.rejects(
      loadShardPassages({ ...job, records: job.records + 1 }),
      (error: unknown) =>
        error instanceof ShardMismatchError &&
        error.message.includes(`read ${job.records} records`) &&
        error.message.includes('rejected in the range now: line 13 empty-text, line 14 bad-id'),
    );
  });
});
