import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordBatch } from 'apache-arrow';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import type { ShardJobData } from '@embedline/queue';
import { LanceDbStore, type UpsertOptions } from '@embedline/store';
import { embedShard } from './embed-shard.ts';
import { planShards } from './plan-shards.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const COLLECTION = 'appends';

/** LanceDbStore that remembers how each upsert was asked for. */
class RecordingStore extends LanceDbStore {
  readonly writes: boolean[] = [];
  override async upsert(name: string, batch: RecordBatch, options?: UpsertOptions): Promise<void> {
    this.writes.push(options?.firstWrite === true);
    await super.upsert(name, batch, options);
  }
}

describe('embedShard: append on a first write, merge on every other', { timeout: 120_000 }, () => {
  let dir: string;
  let encoder: Encoder;
  let job: ShardJobData;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'embedline-embed-shard-'));
    encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 1 }, quiet);
    const corpus = join(dir, 'corpus.tsv');
    writeFileSync(corpus, Array.from({ length: 40 }, (_, i) => `${i}\tpassage ${i} about waves\n`).join(''));
    for await (const shard of planShards(corpus, { shardSize: 40, inline: false })) {
      job = {
        kind: 'shard',
        collection: COLLECTION,
        fingerprint: 'cd'.repeat(32),
        shardIndex: 0,
        records: shard.records,
        source: shard.source,
      };
    }
  });
  after(async () => {
    await encoder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(appendFirstWrites: boolean | undefined, claims: boolean[]) {
    const store = new RecordingStore({ uri: join(dir, `db-${Math.random()}`) });
    await store.createCollection(COLLECTION, { dimension: encoder.describe().dimension });
    const asked: string[] = [];
    const manifest = {
      claimFirstWrite: async (_collection: string, key: string) => (asked.push(key), claims.shift() ?? false),
      markShardDone: async () => undefined,
    };
    const shardJob = appendFirstWrites === undefined ? job : { ...job, appendFirstWrites };
    await embedShard(shardJob, { encoder, store, manifest });
    await embedShard(shardJob, { encoder, store, manifest }); // the retry of a shard that was written
    const count = await store.count(COLLECTION);
    await store.close();
    return { writes: store.writes, asked: asked.length, count };
  }

  test('the claimed first write appends, the retry merges: each passage once, before any finalize', async () => {
    assert.deepEqual(await run(true, [true, false]), { writes: [true, false], asked: 2, count: 40 });
  });

  test('without appendFirstWrites (the collection held points) every write merges and nothing is claimed', async () => {
    assert.deepEqual(await run(undefined, [true, true]), { writes: [false, false], asked: 0, count: 40 });
  });
});
