import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shardKey, type FinalizeJobData } from '@embedline/queue';
import type { ShardLedger, VectorStore } from '@embedline/store';
import { StoredCountMismatchError } from './errors/stored-count-mismatch-error.ts';
import { finalizeIngest } from './finalize-ingest.ts';

const THIS = 'ab'.repeat(32);
const EARLIER = 'cd'.repeat(32);

/** A store that holds `points` points and whose ledger records `shards` (fingerprint, records each). */
function storeWith(
  points: number,
  shards: [fingerprint: string, records: number][],
): VectorStore & ShardLedger {
  const ledger = new Map(
    shards.map(([fingerprint, records], index) => [shardKey(fingerprint, index), records]),
  );
  const store: Pick<VectorStore, 'finalize' | 'count'> & ShardLedger = {
    finalize: async () => undefined,
    count: async () => points,
    recordShard: async () => undefined,
    completedShards: async () => ledger,
  };
  return store as VectorStore & ShardLedger;
}

const job = (acceptedRecords: number): FinalizeJobData => ({
  collection: 'c',
  fingerprint: THIS,
  acceptedRecords,
  totalShards: 2,
});

describe('finalizeIngest: the stored count', () => {
  test('a collection only this ingest wrote holds exactly its accepted records', async () => {
    const mine: [string, number][] = [
      [THIS, 60],
      [THIS, 40],
    ];
    assert.deepEqual(await finalizeIngest(job(100), { store: storeWith(100, mine) }), { stored: 100 });
    await assert.rejects(finalizeIngest(job(100), { store: storeWith(99, mine) }), StoredCountMismatchError);
    await assert.rejects(
      finalizeIngest(job(100), { store: storeWith(101, mine) }),
      /collection c: the store holds 101 points but 100 records were accepted$/,
    );
  });

  test('a collection an earlier corpus wrote to (fixed records ingested into it, a changed corpus): its points count too', async () => {
    // 3,000 points of a first corpus, then a second corpus of 100 new passages: 3,100 stored.
    const shards: [string, number][] = [
      [EARLIER, 3000],
      [THIS, 100],
    ];
    assert.deepEqual(await finalizeIngest(job(100), { store: storeWith(3100, shards) }), { stored: 3100 });
    // The second corpus changed 40 passages of the first (same ids, overwritten) and added 60: 3,060 stored.
    assert.deepEqual(await finalizeIngest(job(100), { store: storeWith(3060, shards) }), { stored: 3060 });
    // Fewer points than this ingest accepted, or more than both ingests stored: something is missing or doubled.
    await assert.rejects(
      finalizeIngest(job(100), { store: storeWith(99, shards) }),
      /the store holds 99 points but 100 records were accepted and earlier ingests stored 3000: expected between 100 and 3100$/,
    );
    await assert.rejects(
      finalizeIngest(job(100), { store: storeWith(3101, shards) }),
      StoredCountMismatchError,
    );
  });
});
