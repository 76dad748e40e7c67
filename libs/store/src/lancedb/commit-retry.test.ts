import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WriteConflictError } from '../errors/write-conflict-error.ts';
import { isCommitConflict, isLostRace, retryOnLostRace } from './commit-retry.ts';
import { isTableNotFound } from './lance-errors.ts';

const conflict = () =>
  new Error(
    'lance error: Retryable commit conflict for version 7: This Update transaction was preempted by concurrent transaction Update at version 7. Please retry.',
  );
const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 15 };
/** What LanceDB 0.31 said when another process's cleanup deleted the version a call had listed (seen in two-writer runs). */
const removedAtOpen = () =>
  new Error(
    'lance error: Dataset at path tmp/x/docs__shards.lance/_versions/18446744073709551395.manifest was not found: Not found: tmp/x/docs__shards.lance/_versions/18446744073709551395.manifest, /usr/local/cargo/registry/src/lance-io-8.0.0/src/local.rs:133:40',
  );
/** The same, as a manifest read words it (seen once in CI: lancedb-store.test.ts, two ledger writers, cleanup at every compaction). */
const removedAtRead = () =>
  new Error(
    'lance error: Not found: tmp/embedline-ledger-PUztjm/docs__shards.lance/_versions/18446744073709551110.manifest, /usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-io-8.0.0/src/local.rs:133:40  Caused by: Not found: tmp/embedline-ledger-PUztjm/docs__shards.lance/_versions/18446744073709551110.manifest, /usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-io-8.0.0/src/local.rs:133:40',
  );
const removedInCompaction = () =>
  new Error(
    'lance error: LanceError(IO): Object at location /tmp/x/c__shards.lance/_versions/18446744073709551230.manifest not found: No such file or directory (os error 2)',
  );

describe('retryOnLostRace', () => {
  test('recognises LanceDB commit conflicts and nothing else', () => {
    assert.ok(isCommitConflict(conflict()));
    assert.ok(isCommitConflict(new Error('Commit conflict for version 3: ...')));
    assert.ok(isCommitConflict(new Error('Too much write contention: 20 attempts')));
    assert.ok(!isCommitConflict(new Error("Table 'x' was not found")));
    assert.ok(!isCommitConflict(new Error('Append with different schema')));
  });

  test('a version deleted under a call by another process is a lost race, not a missing table', () => {
    for (const error of [removedAtOpen(), removedAtRead(), removedInCompaction()]) {
      assert.ok(isLostRace(error), error.message);
      assert.ok(!isTableNotFound(error), error.message);
    }
    assert.ok(isLostRace(conflict()));
    assert.ok(
      isTableNotFound(new Error('lance error: Dataset at path tmp/x/docs.lance was not found: Not found')),
    );
    assert.ok(!isLostRace(new Error("Table 'docs' was not found")));
    assert.ok(!isLostRace(new Error('Object at location /tmp/x/docs.lance/data/abc.lance not found')));
    assert.ok(
      !isLostRace(new Error('lance error: Not found: /tmp/x/docs.lance/data/abc.lance, local.rs:133:40')),
    );
  });

  test('retries a call whose version was deleted under it, which reads the newer one', async () => {
    let calls = 0;
    const result = await retryOnLostRace(
      'docs',
      'recordShard',
      async () => {
        calls++;
        if (calls === 1) throw removedAtOpen();
        return 'stored';
      },
      policy,
      async () => {},
    );
    assert.equal(result, 'stored');
    assert.equal(calls, 2);
  });

  test('retries conflicts with bounded, jittered delays until the operation commits', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retryOnLostRace(
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
      retryOnLostRace(
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
      retryOnLostRace(
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
