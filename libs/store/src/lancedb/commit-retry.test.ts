import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WriteConflictError } from '../errors/write-conflict-error.ts';
import { isCommitConflict, retryOnCommitConflict } from './commit-retry.ts';

const conflict = () =>
  new Error(
    'lance error: Retryable commit conflict for version 7: This Update transaction was preempted by concurrent transaction Update at version 7. Please retry.',
  );
const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 15 };

describe('retryOnCommitConflict', () => {
  test('recognises LanceDB commit conflicts and nothing else', () => {
    assert.ok(isCommitConflict(conflict()));
    assert.ok(isCommitConflict(new Error('Commit conflict for version 3: ...')));
    assert.ok(isCommitConflict(new Error('Too much write contention: 20 attempts')));
    assert.ok(!isCommitConflict(new Error("Table 'x' was not found")));
    assert.ok(!isCommitConflict(new Error('Append with different schema')));
  });

  test('retries conflicts with bounded, jittered delays until the operation commits', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retryOnCommitConflict(
      'docs',
      'upsert',
      async () => {
        calls++;
        if (calls < 4) throw conflict();
        return 'committed';
      },
      policy,
      async (ms) => void delays.push(ms),
    );
    assert.equal(result, 'committed');
    assert.equal(calls, 4);
    assert.equal(delays.length, 3);
    delays.forEach((ms, i) => assert.ok(ms >= 0 && ms <= Math.min(15, 10 * 2 ** i), `delay ${i}: ${ms}`));
  });

  test('gives up after the last attempt with a WriteConflictError that names the collection', async () => {
    let calls = 0;
    await assert.rejects(
      retryOnCommitConflict(
        'docs',
        'upsert',
        async () => {
          calls++;
          throw conflict();
        },
        policy,
        async () => {},
      ),
      (error: unknown) => {
        assert.ok(error instanceof WriteConflictError);
        assert.equal(error.collection, 'docs');
        assert.equal(error.attempts, 4);
        assert.match(
          error.message,
          /upsert on collection "docs" still conflicted with concurrent writers after 4 attempts/,
        );
        assert.ok(error.cause instanceof Error);
        return true;
      },
    );
    assert.equal(calls, 4);
  });

  test('other errors propagate at once', async () => {
    let calls = 0;
    await assert.rejects(
      retryOnCommitConflict(
        'docs',
        'upsert',
        async () => {
          calls++;
          throw new Error('disk full');
        },
        policy,
        async () => {},
      ),
      /disk full/,
    );
    assert.equal(calls, 1);
  });
});
