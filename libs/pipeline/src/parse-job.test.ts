import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { parseFinalizeJob, parseShardJob } from './parse-job.ts';

const shard = {
  kind: 'shard',
  collection: 'docs',
  fingerprint: 'ab'.repeat(16),
  shardIndex: 0,
  records: 1,
  source: { kind: 'inline', passages: [{ id: '1', text: 'one', payload: null }] },
};

describe('parseShardJob', () => {
  test('gives the job as this worker understands it', () => {
    assert.deepEqual(parseShardJob('s0', shard), shard);
    assert.deepEqual(parseShardJob('seal', { kind: 'seal', collection: 'docs' }), {
      kind: 'seal',
      collection: 'docs',
    });
  });

  test("refuses fields it does not know, naming them and what to do (a newer producer's job is never half-understood)", () => {
    for (const [data, fields] of [
      [{ ...shard, embedWith: 'title' }, 'embedWith'],
      [{ ...shard, source: { ...shard.source, compressed: true } }, 'source.compressed'],
    ] as const) {
      assert.throws(
        () => parseShardJob('s0', data),
        (error: unknown) =>
          error instanceof UnrecoverableError &&
          error.message ===
            `shard job s0: fields this worker does not know (${fields}): it was queued by a newer producer; ` +
              'upgrade the workers, then re-queue it (ingest --replay-failed)',
      );
    }
  });

  test('a malformed job is one line naming the job and the field', () => {
    assert.throws(
      () => parseShardJob('s1', { ...shard, shardIndex: -1 }),
      (error: unknown) =>
        error instanceof UnrecoverableError &&
        /^shard job s1: malformed: .*shardIndex/.test(error.message) &&
        !error.message.includes('\n'),
    );
    assert.throws(() => parseFinalizeJob('f', { collection: 'docs' }), {
      message:
        /^finalize job f: malformed: fingerprint: Invalid input: expected string, received undefined; acceptedRecords: /,
    });
  });
});
