import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { RejectedRecord } from '@embedline/corpus';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { isEmbeddedWith, type ShardJobData } from '@embedline/queue';
import { LanceDbStore } from '@embedline/store';
import { embedShard } from './embed-shard.ts';
import { planShards, type PlannedShard } from './plan-shards.ts';
import { loadShardPassages } from './shard-passages.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const FINGERPRINT = 'ef'.repeat(32);

/** The job the producer enqueues for a planned shard, with the ingest's title field (if any). */
function shardJob(shard: PlannedShard, collection: string, titleField?: string): ShardJobData {
  return {
    kind: 'shard',
    collection,
    fingerprint: FINGERPRINT,
    shardIndex: shard.index,
    records: shard.records,
    source: shard.source,
    ...(titleField === undefined ? {} : { titleField }),
  };
}

/** A BEIR-like corpus: titles, an empty one, a null one, one absent, and one that is not a string. */
const DOCS = [
  { _id: 'd1', title: 'Waves on water', text: 'Surface waves move energy, not water.' },
  { _id: 'd2', title: '', text: 'A passage whose title is empty.' },
  { _id: 'd3', title: 'Tides', text: ' The moon pulls the oceans. ' },
  { _id: 'd4', title: null, text: 'A passage whose title is null.' },
  { _id: 'd5', title: 7, text: 'A number is not a title.' },
  { _id: 'd6', text: 'A passage with no title field.' },
  { _id: 'd7', title: 'Sound', text: 'Sound is a pressure wave.' },
];
/** What BEIR's encode_corpus embeds for each accepted document, written out by hand. */
const BEIR_TEXT: Record<string, string> = {
  d1: 'Waves on water Surface waves move energy, not water.',
  d2: 'A passage whose title is empty.',
  d3: 'Tides  The moon pulls the oceans.',
  d4: 'A passage whose title is null.',
  d6: 'A passage with no title field.',
  d7: 'Sound Sound is a pressure wave.',
};
const ACCEPTED = Object.keys(BEIR_TEXT);

describe(
  'embedShard with a title field: the vectors are the encoder\'s for BEIR\'s title + " " + text',
  { timeout: 180_000 },
  () => {
    let dir: string;
    let encoder: Encoder;
    const files: Record<string, string> = {};
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'embedline-title-field-'));
      encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 1 }, quiet);
      files.jsonl = join(dir, 'corpus.jsonl');
      writeFileSync(files.jsonl, DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
      const good = DOCS.filter((d) => d._id !== 'd5');
      const titles = good.map((d) => (typeof d.title === 'string' ? d.title : null));
      files.arrow = join(dir, 'corpus.arrow');
      writeFileSync(
        files.arrow,
        tableToIPC(
          new Table({
            _id: vectorFromArray(
              good.map((d) => d._id),
              new Utf8(),
            ),
            title: vectorFromArray(titles, new Utf8()),
            text: vectorFromArray(
              good.map((d) => d.text),
              new Utf8(),
            ),
          }),
          'file',
        ),
      );
      files.parquet = join(dir, 'corpus.parquet');
      writeFileSync(
        files.parquet,
        Buffer.from(
          parquetWriteBuffer({
            columnData: [
              { name: '_id', data: good.map((d) => d._id), type: 'STRING' },
              { name: 'title', data: titles, type: 'STRING' },
              { name: 'text', data: good.map((d) => d.text), type: 'STRING' },
            ],
          }),
        ),
      );
    });
    after(async () => {
      await encoder.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Plans `corpus` into shards of 2, embeds every shard into a fresh store, and reads back what was stored. */
    async function ingest(corpus: string, inline: boolean, titleField: string | undefined) {
      const store = new LanceDbStore({ uri: join(dir, `db-${Math.random()}`) });
      const collection = 'titles';
      await store.createCollection(collection, { dimension: encoder.describe().dimension });
      const producerRejects: RejectedRecord[] = [];
      const jobs: ShardJobData[] = [];
      for await (const shard of planShards(corpus, {
        shardSize: 2,
        inline,
        titleField,
        onReject: (r) => void producerRejects.push(r),
      })) {
        jobs.push(shardJob(shard, collection, titleField));
      }
      // Each shard's title field comes with its job; the worker reads ranges with it (counts must match).
      for (const job of jobs) await embedShard(job, { encoder, store });
      const stored = new Map<string, { vector: Float32Array; text: string; payload: unknown }>();
      for await (const rows of store.scan(collection)) {
        rows.ids.forEach((id, i) => {
          const vector = rows.vectors.slice(i * rows.dimension, (i + 1) * rows.dimension);
          stored.set(id, { vector, text: rows.texts[i]!, payload: rows.payloads?.[i] ?? null });
        });
      }
      const ledger = await store.completedShards(collection);
      await store.close();
      return { jobs, stored, ledger, producerRejects };
    }

    async function assertVectors(
      stored: Map<string, { vector: Float32Array }>,
      texts: Record<string, string>,
    ) {
      const ids = Object.keys(texts);
      const expected = await encoder.encode(ids.map((id) => texts[id]!));
      ids.forEach((id, row) => {
        const want = expected.vectors.subarray(row * expected.dimension, (row + 1) * expected.dimension);
        const got = stored.get(id)!.vector;
        got.forEach((value, d) =>
          assert.ok(
            Math.abs(value - want[d]!) < 1e-5,
            `vector of ${id} is the encoder's for ${JSON.stringify(texts[id])}`,
          ),
        );
      });
    }

    for (const inline of [false, true]) {
      test(`JSONL, ${inline ? 'inline' : 'byte-range'} jobs: title + " " + text is embedded; text and title are stored as read`, async () => {
        const { jobs, stored, ledger, producerRejects } = await ingest(files.jsonl!, inline, 'title');
        assert.equal(jobs[0]!.source.kind, inline ? 'inline' : 'range');
        assert.deepEqual(
          jobs.map((j) => j.titleField),
          jobs.map(() => 'title'),
        );
        assert.deepEqual(
          producerRejects.map((r) => `${r.kind} @${r.line}`),
          ['bad-title @5'],
        );
        assert.deepEqual([...stored.keys()].sort(), ACCEPTED);
        await assertVectors(stored, BEIR_TEXT);
        assert.equal(
          stored.get('d3')!.text,
          ' The moon pulls the oceans. ',
          'the stored text is the passage text',
        );
        assert.deepEqual(
          stored.get('d1')!.payload,
          { title: 'Waves on water' },
          'the title stays in the payload',
        );
        // The ledger's keys say how the shards were embedded.
        assert.ok(
          [...ledger.keys()].every((key) => isEmbeddedWith(key, FINGERPRINT, 'title')),
          [...ledger.keys()].join(),
        );
      });
    }

    test('JSONL without a title field: the text alone is embedded (and a number title is payload)', async () => {
      const { stored, ledger } = await ingest(files.jsonl!, false, undefined);
      assert.equal(stored.size, DOCS.length);
      await assertVectors(stored, Object.fromEntries(DOCS.map((d) => [d._id, d.text])));
      assert.ok([...ledger.keys()].every((key) => isEmbeddedWith(key, FINGERPRINT, undefined)));
    });

    for (const format of ['arrow', 'parquet'] as const) {
      test(`${format}: title + " " + text is embedded; a null title embeds the text alone`, async () => {
        const { stored } = await ingest(files[format]!, false, 'title');
        assert.deepEqual([...stored.keys()].sort(), ACCEPTED);
        await assertVectors(stored, BEIR_TEXT);
        assert.deepEqual(stored.get('d4')!.payload, { title: null });
      });
    }

    test('the titled vector is not the text-only one (the check above can tell them apart)', async () => {
      const [titled, plain] = await Promise.all([
        encoder.encode([BEIR_TEXT.d1!]),
        encoder.encode([DOCS[0]!.text]),
      ]);
      const largest = Math.max(...titled.vectors.map((v, d) => Math.abs(v - plain.vectors[d]!)));
      assert.ok(largest > 1e-3, `largest difference ${largest}`);
    });
  },
);

describe('loadShardPassages with a title field', () => {
  test('a shard fetched over http(s) (--corpus-url) is read with the title field too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-title-remote-'));
    try {
      const corpus = join(dir, 'corpus.jsonl');
      const bytes = Buffer.from(DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
      writeFileSync(corpus, bytes);
      const url = 'http://corpus.example/corpus.jsonl';
      /** Answers each Range request with exactly those bytes of the corpus. */
      const rangeFetch = (async (_url: string, init?: RequestInit) => {
        const range = new Headers(init?.headers).get('range')!;
        const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(range)!;
        return new Response(bytes.subarray(Number(from), Number(to) + 1), {
          status: 206,
          headers: { 'content-range': `bytes ${from}-${to}/${bytes.length}` },
        });
      }) as typeof fetch;
      const passages: string[] = [];
      const rejects: RejectedRecord[] = [];
      for await (const shard of planShards(corpus, {
        shardSize: 3,
        inline: false,
        titleField: 'title',
        uri: url,
      })) {
        const job = shardJob(shard, 'c', 'title');
        for (const p of await loadShardPassages(job, {
          fetch: rangeFetch,
          onReject: (r) => void rejects.push(r),
        }))
          passages.push(p.id);
      }
      assert.deepEqual(passages, ACCEPTED);
      assert.deepEqual(
        rejects.map((r) => `${r.kind} @${r.line}`),
        ['bad-title @5'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a worker re-reading a range rejects the records the producer rejected for their title (counts match)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-title-range-'));
    try {
      const corpus = join(dir, 'corpus.jsonl');
      writeFileSync(corpus, DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
      const jobs: ShardJobData[] = [];
      for await (const shard of planShards(corpus, { shardSize: 10, inline: false, titleField: 'title' })) {
        jobs.push(shardJob(shard, 'c', 'title'));
        assert.equal(shard.untitled, 3, 'd2, d4 and d6 have no title');
      }
      const rejects: RejectedRecord[] = [];
      const passages = await loadShardPassages(jobs[0]!, { onReject: (r) => void rejects.push(r) });
      assert.deepEqual(
        passages.map((p) => p.id),
        ACCEPTED,
      );
      assert.deepEqual(
        rejects.map((r) => r.reason),
        ['title "title" is a number, not a string: "7" (id d5)'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
