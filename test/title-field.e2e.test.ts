/**
 * `ingest --title-field` end to end: the producer as users run it (its own process, the CLI's flags) on a private
 * redis-server, shard workers in this process (BullMQ, the ONNX encoder with the tiny fixture model, LanceDB),
 * then `status`. A BEIR-like JSONL corpus is ingested three times: with the title field in byte-range jobs and
 * in --inline jobs, the stored vectors are the encoder's for BEIR's `title + " " + text`; without it, for the
 * text alone. Stored text and payload are the passage's either way; a re-run with another setting is refused.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Encoder } from '@embedline/encoder';
import { LanceDbStore } from '@embedline/store';
import { runNode, type ProcessResult } from '@embedline/testing';
import { InProcessPipeline } from './support/in-process-pipeline.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { readAllPoints } from './support/stored-points.ts';
import { disposeSuiteResources, startSuiteResources } from './support/suite-resources.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** 40 documents: most titled, every 7th with an empty title, every 11th with none; one more whose title is a number. */
function beirDocs() {
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const text = `Passage ${i} is about ${['waves', 'tides', 'sound', 'light'][i % 4]} and number ${i * 7}.`;
    if (i % 11 === 3) docs.push({ _id: `doc${i}`, text, url: `u${i}` });
    else
      docs.push({
        _id: `doc${i}`,
        title: i % 7 === 2 ? '' : `Title ${i}: ${i % 2 ? 'Physics' : 'Oceans'}`,
        text,
      });
  }
  docs.splice(17, 0, { _id: 'bad', title: 12, text: 'a title that is a number' });
  return docs;
}

describe('ingest --title-field, producer process and workers, private Redis', { timeout: 300_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  let encoder: Encoder;
  let pipeline: InProcessPipeline;
  let store: LanceDbStore;
  let corpus: string;
  const docs = beirDocs();
  const accepted = docs.filter((d) => d._id !== 'bad');
  before(async () => {
    ({ redis, dir, encoder } = await startSuiteResources('titles'));
    corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
    store = new LanceDbStore({ uri: join(dir, 'lancedb') });
    pipeline = new InProcessPipeline(redis.url);
    pipeline.startWorkers({ encoder, store, concurrency: 2 });
  });
  after(async () => {
    await pipeline.close();
    await store.close();
    await disposeSuiteResources({ redis, dir, encoder });
  });

  function producer(args: string[]): Promise<ProcessResult> {
    return runNode(['--import', 'tsx', 'apps/producer/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        EMBEDLINE_REDIS_URL: redis.url,
        EMBEDLINE_QUEUE_PREFIX: pipeline.prefix,
        EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
      },
    });
  }

  async function ingest(collection: string, flags: string[]): Promise<string> {
    const result = await producer([
      'ingest',
      corpus,
      '--collection',
      collection,
      '--shard-size',
      '8',
      '--rejects',
      join(dir, `${collection}.rejects.jsonl`),
      '--no-progress',
      ...flags,
    ]);
    assert.equal(result.code, 0, result.stderr);
    await pipeline.waitForStatus(collection, 'finalized', (s) => s.state === 'finalized');
    return result.stdout;
  }

  /** Every accepted document stored once, its vector the encoder's for `embedded(doc)`, its text and payload as read. */
  async function assertStored(collection: string, embedded: (doc: Record<string, unknown>) => string) {
    const { ids, vectors } = await readAllPoints(store, collection);
    assert.deepEqual([...ids].sort(), accepted.map((d) => String(d._id)).sort());
    const expected = await encoder.encode(accepted.map(embedded));
    accepted.forEach((doc, row) => {
      const want = expected.vectors.subarray(row * expected.dimension, (row + 1) * expected.dimension);
      const got = vectors.get(String(doc._id))!;
      got.forEach((value, d) =>
        assert.ok(
          Math.abs(value - want[d]!) < 1e-5,
          `${collection}: vector of ${doc._id} is the encoder's for ${JSON.stringify(embedded(doc))}`,
        ),
      );
    });
    const stored = new Map<string, { text: string; payload: unknown }>();
    for await (const rows of store.scan(collection))
      rows.ids.forEach((id, i) =>
        stored.set(id, { text: rows.texts[i]!, payload: rows.payloads?.[i] ?? null }),
      );
    for (const { _id, text, ...rest } of accepted) {
      assert.equal(stored.get(String(_id))!.text, text, `${collection}: stored text of ${_id}`);
      assert.deepEqual(stored.get(String(_id))!.payload, rest, `${collection}: payload of ${_id}`);
    }
  }

  /** BEIR's encode_corpus: (title + " " + text).strip() with a title, else text.strip(), written out here. */
  const beir = (doc: Record<string, unknown>) =>
    typeof doc.title === 'string' && doc.title !== '' ? `${doc.title} ${String(doc.text)}` : String(doc.text);

  test('byte-range jobs: the vectors are the encoder\'s for title + " " + text; the bad title is a reject', async () => {
    const stdout = await ingest('titled', ['--title-field', 'title']);
    assert.match(
      stdout,
      /^titled: accepted 40 passages \(embedded as "title" \+ " " \+ text; 10 with no title: text alone\), rejected 1 \(bad-title 1; see .*titled\.rejects\.jsonl\); 5 shards: 5 enqueued, 0 already done/m,
    );
    await assertStored('titled', beir);
    const status = await producer(['status', 'titled']);
    assert.match(
      status.stdout,
      /^ {2}embeds {7}"title" \+ " " \+ text \(--title-field title\)$/m,
      status.stdout,
    );
  });

  test('--inline jobs: the same vectors', async () => {
    await ingest('titled-inline', ['--title-field', 'title', '--inline']);
    await assertStored('titled-inline', beir);
    const titled = await readAllPoints(store, 'titled');
    const inline = await readAllPoints(store, 'titled-inline');
    for (const [id, vector] of titled.vectors)
      assert.deepEqual(inline.vectors.get(id), vector, `vector of ${id}`);
  });

  test("without --title-field: the vectors are the encoder's for the text alone (a number title is payload)", async () => {
    const stdout = await ingest('plain', []);
    assert.match(stdout, /^plain: accepted 41 passages, rejected 0; /m);
    accepted.push(docs.find((d) => d._id === 'bad')!);
    try {
      await assertStored('plain', (doc) => String(doc.text));
    } finally {
      accepted.pop();
    }
    const status = await producer(['status', 'plain']);
    assert.match(status.stdout, /^ {2}embeds {7}text$/m, status.stdout);
  });

  test('a re-run of a finalized ingest with another title setting is refused, in one line, exit 1', async () => {
    const result = await producer([
      'ingest',
      corpus,
      '--collection',
      'titled',
      '--shard-size',
      '8',
      '--no-progress',
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^embedline-producer: .*corpus\.jsonl: the ingest of this corpus into titled is finalized embedding title \+ " " \+ text \(title field "title"\), but this run embeds the text alone: .*; to embed it as the text alone, ingest it into another collection$/m,
    );
  });
});
