import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { shardKey, type ShardJobData } from '@embedline/queue';
import { LanceDbStore } from '@embedline/store';
import { embedShard } from './embed-shard.ts';
import { exportPaths } from './export-shard.ts';
import { planShards } from './plan-shards.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const FINGERPRINT = 'ab'.repeat(32);
const COLLECTION = 'exported';

interface StoredPoint {
  readonly vector: Float32Array;
  readonly text: string;
  readonly payload: Record<string, unknown> | null;
}

describe('embedShard with an export folder (--export DIR)', { timeout: 120_000 }, () => {
  let dir: string;
  let exportDir: string;
  let encoder: Encoder;
  let store: LanceDbStore;
  let jobs: ShardJobData[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'embedline-export-'));
    exportDir = join(dir, 'export');
    encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 1 }, quiet);
    store = new LanceDbStore({ uri: join(dir, 'lancedb') });
    await store.createCollection(COLLECTION, { dimension: encoder.describe().dimension });
    // JSONL with string ids and payload fields (and one record without), 300 records in 3 shards.
    const corpus = join(dir, 'corpus.jsonl');
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify(
        i === 7
          ? { id: `doc-${i}`, text: `passage ${i} about storage` }
          : { id: `doc-${i}`, text: `passage ${i} about circuits and waves`, lang: 'en', rank: i },
      ),
    );
    writeFileSync(corpus, `${lines.join('\n')}\n`);
    jobs = [];
    for await (const shard of planShards(corpus, { shardSize: 120, inline: false })) {
      jobs.push({
        kind: 'shard',
        collection: COLLECTION,
        fingerprint: FINGERPRINT,
        shardIndex: shard.index,
        records: shard.records,
        source: shard.source,
      });
    }
    // Encode calls of 50: a shard still goes to the store, and to its export, as one record batch.
    for (const job of jobs) await embedShard(job, { encoder, store, exportDir, batchPassages: 50 });
  });
  after(async () => {
    await encoder.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function storedPoints(): Promise<Map<string, StoredPoint>> {
    const points = new Map<string, StoredPoint>();
    for await (const rows of store.scan(COLLECTION)) {
      rows.ids.forEach((id, i) => {
        const vector = rows.vectors.slice(i * rows.dimension, (i + 1) * rows.dimension);
        points.set(id, { vector, text: rows.texts[i]!, payload: rows.payloads?.[i] ?? null });
      });
    }
    return points;
  }

  test('one Arrow IPC and one Parquet file per shard, named by the shard key, nothing else', () => {
    const keys = jobs.map((job) => shardKey(FINGERPRINT, job.shardIndex));
    const expected = keys.flatMap((key) => [`${key}.arrow`, `${key}.parquet`]).sort();
    assert.equal(jobs.length, 3);
    assert.deepEqual(readdirSync(join(exportDir, COLLECTION)).sort(), expected);
  });

  test('the Arrow files read back equal the stored ids, vectors, texts and payloads', async () => {
    const stored = await storedPoints();
    const seen: string[] = [];
    for (const job of jobs) {
      const table = tableFromIPC(
        readFileSync(exportPaths(exportDir, COLLECTION, shardKey(FINGERPRINT, job.shardIndex)).arrow),
      );
      assert.equal(table.numRows, job.records);
      assert.equal(table.batches.length, 1, 'the shard was written as one record batch');
      for (let row = 0; row < table.numRows; row++) {
        const id = table.getChild('id')!.get(row) as string;
        const point = stored.get(id);
        assert.ok(point, `exported id ${id} is stored`);
        assert.deepEqual(
          Float32Array.from(table.getChild('vector')!.get(row)!.toArray() as Float32Array),
          point.vector,
          `vector of ${id}`,
        );
        assert.equal(table.getChild('text')!.get(row), point.text);
        const payload = table.getChild('payload')!.get(row) as string | null;
        assert.deepEqual(payload === null ? null : JSON.parse(payload), point.payload, `payload of ${id}`);
        seen.push(id);
      }
    }
    assert.deepEqual(
      seen.sort(),
      [...stored.keys()].sort(),
      'together the shards hold every stored point once',
    );
  });

  test('the Parquet files read back (hyparquet) equal the stored ids, vectors, texts and payloads', async () => {
    const stored = await storedPoints();
    const seen: string[] = [];
    for (const job of jobs) {
      const bytes = readFileSync(
        exportPaths(exportDir, COLLECTION, shardKey(FINGERPRINT, job.shardIndex)).parquet,
      );
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const dimension = parquetMetadata(file).key_value_metadata?.find(
        (kv) => kv.key === 'embedline.dimension',
      )?.value;
      assert.equal(dimension, String(encoder.describe().dimension));
      const rows = (await parquetReadObjects({ file })) as {
        id: string;
        vector: number[];
        text: string;
        payload: string | null;
      }[];
      assert.equal(rows.length, job.records);
      for (const row of rows) {
        const point = stored.get(row.id);
        assert.ok(point, `exported id ${row.id} is stored`);
        // FLOAT values come back as doubles holding the float32 exactly.
        assert.deepEqual(Float32Array.from(row.vector), point.vector, `vector of ${row.id}`);
        assert.equal(row.text, point.text);
        assert.deepEqual(
          row.payload === null ? null : JSON.parse(row.payload),
          point.payload,
          `payload of ${row.id}`,
        );
        seen.push(row.id);
      }
    }
    assert.deepEqual(seen.sort(), [...stored.keys()].sort());
    assert.equal(
      stored.get('doc-7')?.payload,
      null,
      'a record without payload fields exports a null payload',
    );
  });

  test('a retried shard overwrites its files: same names, same content, no temporary files left', async () => {
    const paths = exportPaths(exportDir, COLLECTION, shardKey(FINGERPRINT, jobs[1]!.shardIndex));
    const before = [readFileSync(paths.arrow), readFileSync(paths.parquet)];
    const listing = readdirSync(paths.folder).sort();
    await embedShard(jobs[1]!, { encoder, store, exportDir, batchPassages: 50 });
    assert.deepEqual(readdirSync(paths.folder).sort(), listing);
    assert.deepEqual([readFileSync(paths.arrow), readFileSync(paths.parquet)], before);
    assert.equal(await store.count(COLLECTION), 300, 'and the store still holds each point once');
  });
});
