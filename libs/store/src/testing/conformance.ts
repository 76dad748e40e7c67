import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toRecordBatch } from '../embedded-batch.ts';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';
import type { ShardLedger } from '../shard-ledger.ts';
import type { VectorStore } from '../vector-store.ts';
import { assertExactRanking, comparePointIds, exactTopK, type ReferencePoints } from './exact-reference.ts';
import { perturb, randomUnitVectors, seededRandom } from '@embedline/testing';

/** A fresh, empty store for one test; `cleanup` runs after the suite has closed it. */
export type MakeStore = () => Promise<{ store: VectorStore & ShardLedger; cleanup: () => Promise<void> }>;

/** Scores are float32 dot products: they must match float64 exact search this closely. */
const SCORE_TOLERANCE = 1e-5;

/**
 * The behaviour every VectorStore adapter (with its ShardLedger) must share, as node:test cases under
 * `describe('VectorStore conformance: <name>')`. Uses only the VectorStore interface and the shared
 * errors, so an adapter (LanceDB, Qdrant against a fake server, ...) runs it unchanged:
 *
 *     runStoreConformance('lancedb', async () => { ...; return { store, cleanup } });
 *
 * Each test gets its own store from `makeStore`, closes it and calls `cleanup` however it ends.
 */
export function runStoreConformance(name: string, makeStore: MakeStore): void {
  const withStore = (run: (store: VectorStore & ShardLedger) => Promise<void>) => async () => {
    const { store, cleanup } = await makeStore();
    try {
      await run(store);
    } finally {
      try {
        await store.close();
      } finally {
        await cleanup();
      }
    }
  };

  describe(`VectorStore conformance: ${name}`, () => {
    test(
      'createCollection is idempotent; describe and listCollections report the collection',
      withStore(async (store) => {
        await store.createCollection('docs', { dimension: 8 });
        await store.createCollection('docs', { dimension: 8 });
        await store.createCollection('other', { dimension: 4 });
        const info = await store.describe('docs');
        assert.deepEqual(
          { name: info?.name, dimension: info?.dimension, distance: info?.distance, count: info?.count },
          { name: 'docs', dimension: 8, distance: 'dot', count: 0 },
        );
        const names = await store.listCollections();
        assert.ok(
          names.includes('docs') && names.includes('other'),
          `listCollections gave ${JSON.stringify(names)}`,
        );
      }),
    );

    test(
      'createCollection with another dimension is refused, naming the collection and both dimensions',
      withStore(async (store) => {
        await store.createCollection('docs', { dimension: 8 });
        await assert.rejects(store.createCollection('docs', { dimension: 16 }), (error: unknown) => {
          assert.ok(error instanceof DimensionMismatchError, `got ${String(error)}`);
          assert.match(error.message, /"docs"/);
          assert.match(error.message, /\b8\b/);
          assert.match(error.message, /\b16\b/);
          return true;
        });
        assert.equal((await store.describe('docs'))?.dimension, 8);
      }),
    );

    test(
      'upsert is idempotent by id: the same batch twice leaves one copy of each point',
      withStore(async (store) => {
        const points = makePoints(120, 16, 1);
        await store.createCollection('docs', { dimension: 16 });
        await store.upsert('docs', batchOf(points));
        await store.upsert('docs', batchOf(points));
        assert.equal(await store.count('docs'), 120);
        const hits = await store.search('docs', row(points, 0), { topK: 120, exact: true });
        assert.equal(hits.length, 120);
        assert.equal(new Set(hits.map((h) => h.id)).size, 120);
      }),
    );

    test(
      'firstWrite: fresh ids are stored once; a wrong claim (ids already stored) leaves one copy, the latest, after finalize',
      withStore(async (store) => {
        const points = makePoints(200, 16, 5);
        await store.createCollection('docs', { dimension: 16 });
        await store.upsert('docs', batchOf(slice(points, 0, 120)), { firstWrite: true });
        await store.upsert('docs', batchOf(slice(points, 120, 200)), { firstWrite: true });
        assert.equal(await store.count('docs'), 200);
        // The same ids again, claimed fresh, with new texts: a retried shard whose claim was wrong.
        const again = slice(points, 100, 140);
        await store.upsert('docs', toRecordBatch({ ...again, texts: again.ids.map((id) => `rewritten ${id}`) }), {
          firstWrite: true,
        });
        await store.finalize('docs');
        assert.equal(await store.count('docs'), 200);
        const stored = new Map<string, string>();
        for await (const rows of store.scan('docs')) {
          rows.ids.forEach((id, i) => {
            assert.ok(!stored.has(id), `id ${id} stored twice`);
            stored.set(id, rows.texts[i]!);
          });
        }
        assert.deepEqual([...stored.keys()].sort(), [...points.ids].sort());
        for (const id of again.ids) assert.equal(stored.get(id), `rewritten ${id}`);
        assert.equal(stored.get(points.ids[99]!), `passage ${points.ids[99]}`);
      }),
    );

    test(
      'upserting a changed vector for an id replaces the point',
      withStore(async (store) => {
        const points = makePoints(50, 16, 2);
        await store.createCollection('docs', { dimension: 16 });
        await store.upsert('docs', batchOf(points));
        const id = points.ids[7]!;
        const before = row(points, 7);
        const after = randomUnitVectors(1, 16, 99);
        await store.upsert(
          'docs',
          toRecordBatch({ ids: [id], vectors: after, dimension: 16, texts: ['changed'] }),
        );
        assert.equal(await store.count('docs'), 50);
        const [top] = await store.search('docs', after, { topK: 1, exact: true, withPayload: true });
        assert.equal(top?.id, id);
        assert.ok(Math.abs(top.score - 1) <= SCORE_TOLERANCE, `self-similarity ${top.score}`);
        assert.equal(top.payload?.['text'], 'changed');
        const all = await store.search('docs', before, { topK: 50, exact: true });
        const moved = all.find((h) => h.id === id);
        assert.ok(moved !== undefined && Math.abs(moved.score - dot(before, after)) <= SCORE_TOLERANCE);
      }),
    );

    test(
      'count follows disjoint batches; an id repeated inside one batch is stored once, the last row winning',
      withStore(async (store) => {
        const points = makePoints(300, 16, 3);
        await store.createCollection('docs', { dimension: 16 });
        assert.equal(await store.count('docs'), 0);
        await store.upsert('docs', batchOf(slice(points, 0, 100)));
        assert.equal(await store.count('docs'), 100);
        await store.upsert('docs', batchOf(slice(points, 100, 300)));
        assert.equal(await store.count('docs'), 300);
        const first = randomUnitVectors(1, 16, 31);
        const last = randomUnitVectors(1, 16, 32);
        const vectors = new Float32Array(32);
        vectors.set(first, 0);
        vectors.set(last, 16);
        await store.upsert(
          'docs',
          toRecordBatch({ ids: ['dup', 'dup'], vectors, dimension: 16, texts: ['first', 'last'] }),
        );
        assert.equal(await store.count('docs'), 301);
        const [top] = await store.search('docs', last, { topK: 1, exact: true, withPayload: true });
        assert.equal(top?.id, 'dup');
        assert.equal(top.payload?.['text'], 'last');
        await store.upsert('docs', batchOf(slice(points, 0, 0)));
        assert.equal(await store.count('docs'), 301, 'an empty batch changes nothing');
      }),
    );

    test(
      'search equals exact top-k search (libs/scoring): exact and default, before and after finalize',
      withStore(async (store) => {
        const dimension = 48;
        const points = makePoints(500, dimension, 4);
        await store.createCollection('docs', { dimension });
        for (let start = 0; start < 500; start += 125)
          await store.upsert('docs', batchOf(slice(points, start, start + 125)));
        const random = seededRandom(5);
        const queries = [
          ...Array.from({ length: 4 }, (_, i) => randomUnitVectors(1, dimension, 100 + i)),
          ...Array.from({ length: 4 }, (_, i) => perturb(row(points, i * 97), 0.2, random)),
        ];
        const check = async (phase: string) => {
          for (const topK of [1, 10, 25]) {
            const expected = exactTopK(points, queries, topK);
            for (const [q, query] of queries.entries()) {
              for (const exact of [true, false]) {
                const hits = await store.search('docs', query, { topK, exact });
                assertExactRanking(
                  hits,
                  expected[q]!,
                  points,
                  query,
                  SCORE_TOLERANCE,
                  `${phase}, query ${q}, topK ${topK}, exact ${exact}`,
                );
              }
            }
          }
        };
        await check('before finalize');
        await store.finalize('docs');
        await check('after finalize');
      }),
    );

    test(
      'topK beyond the collection size returns every point, best first; topK 0 returns none',
      withStore(async (store) => {
        const points = makePoints(30, 16, 6);
        await store.createCollection('docs', { dimension: 16 });
        await store.upsert('docs', batchOf(points));
        const query = randomUnitVectors(1, 16, 7);
        const hits = await store.search('docs', query, { topK: 100 });
        assertExactRanking(
          hits,
          exactTopK(points, [query], 100)[0]!,
          points,
          query,
          SCORE_TOLERANCE,
          'topK 100 of 30',
        );
        assert.deepEqual(await store.search('docs', query, { topK: 0 }), []);
        await store.createCollection('empty', { dimension: 16 });
        assert.deepEqual(await store.search('empty', query, { topK: 5 }), []);
      }),
    );

    test(
      'equal scores are ordered by lower point id (numeric ids by value, before string ids)',
      withStore(async (store) => {
        const same = randomUnitVectors(1, 8, 8);
        const ids = ['10', '2', 'abc', '7', '0', 'zzz', '11'];
        const others = randomUnitVectors(5, 8, 9);
        const vectors = new Float32Array((ids.length + 5) * 8);
        ids.forEach((_, i) => vectors.set(same, i * 8));
        vectors.set(others, ids.length * 8);
        const allIds = [...ids, 'o1', 'o2', 'o3', 'o4', 'o5'];
        await store.createCollection('ties', { dimension: 8 });
        await store.upsert('ties', toRecordBatch({ ids: allIds, vectors, dimension: 8, texts: allIds }));
        const tiedOrder = [...ids].sort(comparePointIds);
        assert.deepEqual(tiedOrder.slice(0, 5), ['0', '2', '7', '10', '11']);
        for (const exact of [true, false]) {
          const hits = await store.search('ties', same, { topK: ids.length, exact });
          assert.deepEqual(
            hits.map((h) => h.id),
            tiedOrder,
            `exact ${exact}`,
          );
          const top3 = await store.search('ties', same, { topK: 3, exact });
          assert.deepEqual(
            top3.map((h) => h.id),
            ['0', '2', '7'],
            `topK 3, exact ${exact}`,
          );
        }
      }),
    );

    test(
      'many equal scores at the cut (a group far past topK + 8): the better points, then the tied ones with the lowest ids',
      withStore(async (store) => {
        // Scores are the first component (the query is e1): 3 better points, 50 tied at 0.5, 60 worse.
        const tiedIds = Array.from({ length: 50 }, (_, i) => String(1000 + ((i * 37 + 25) % 50)));
        assert.equal(tiedIds[25], '1000', 'the lowest tied ids are stored neither first nor last');
        const points = scoredPoints([
          ...[0.9, 0.8, 0.7].map((score, i) => ({ id: `better-${i}`, score })),
          ...tiedIds.map((id) => ({ id, score: 0.5 })),
          ...Array.from({ length: 60 }, (_, i) => ({ id: String(i), score: 0.3 - i / 200 })),
        ]);
        await store.createCollection('ties', { dimension: 8 });
        await store.upsert('ties', batchOf(points));
        const query = scoredPoints([{ id: 'query', score: 1 }]).vectors;
        for (const exact of [true, false]) {
          const hits = await store.search('ties', query, { topK: 5, exact });
          assert.deepEqual(
            hits.map((h) => h.id),
            ['better-0', 'better-1', 'better-2', '1000', '1001'],
            `exact ${exact}`,
          );
          assert.deepEqual(
            hits.map((h) => Math.round(h.score * 1e4) / 1e4),
            [0.9, 0.8, 0.7, 0.5, 0.5],
          );
          const tiedOnly = await store.search('ties', query, { topK: 12, exact });
          assert.deepEqual(
            tiedOnly.slice(3).map((h) => h.id),
            ['1000', '1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008'],
            `topK 12, exact ${exact}`,
          );
        }
      }),
    );

    test(
      'a tie group larger than the widening cap (max(4 x topK, topK + 4096) rows): topK tied hits, ordered by id among themselves',
      withStore(async (store) => {
        const points = scoredPoints([
          { id: 'better', score: 0.9 },
          ...Array.from({ length: 4200 }, (_, i) => ({ id: String(i), score: 0.5 })),
        ]);
        await store.createCollection('ties', { dimension: 8 });
        await store.upsert('ties', batchOf(points));
        const query = scoredPoints([{ id: 'query', score: 1 }]).vectors;
        const hits = await store.search('ties', query, { topK: 5, exact: true });
        assert.equal(hits.length, 5);
        assert.equal(hits[0]?.id, 'better');
        const tied = hits.slice(1).map((h) => h.id);
        assert.equal(new Set(tied).size, 4);
        for (const id of tied)
          assert.ok(/^\d+$/.test(id) && Number(id) < 4200, `hit ${id} is not a tied point`);
        assert.deepEqual(tied, [...tied].sort(comparePointIds), 'tied hits ordered by point id');
        for (const hit of hits.slice(1))
          assert.ok(Math.abs(hit.score - 0.5) <= SCORE_TOLERANCE, `score ${hit.score}`);
      }),
    );

    test(
      'numeric and string ids come back as the original corpus ids',
      withStore(async (store) => {
        const ids = [
          '0',
          '8841822',
          '007',
          'doc-b',
          'ünïcode id',
          '99999999999999999999',
          '-3',
          '1.5',
          'a/b?c=d',
        ];
        const points: ReferencePoints = {
          ids,
          vectors: randomUnitVectors(ids.length, 16, 10),
          dimension: 16,
        };
        await store.createCollection('ids', { dimension: 16 });
        await store.upsert('ids', batchOf(points));
        assert.equal(await store.count('ids'), ids.length);
        for (const [i, id] of ids.entries()) {
          const [top] = await store.search('ids', row(points, i), { topK: 1, exact: true });
          assert.equal(top?.id, id);
        }
        const all = await store.search('ids', row(points, 0), { topK: ids.length });
        assert.deepEqual(all.map((h) => h.id).sort(), [...ids].sort());
      }),
    );

    test(
      'withPayload returns { text, ...payload } with nested JSON values; without it there is no payload',
      withStore(async (store) => {
        const payloads = [
          {
            title: 'A',
            tags: ['x', 'y'],
            meta: { year: 2019, nested: { ok: true, none: null } },
            score: 1.5,
          },
          null,
          { empty: {}, list: [1, [2, 3], { four: 4 }], unicode: 'é😀' },
        ];
        const vectors = randomUnitVectors(3, 8, 11);
        const ids = ['1', 'two', '3'];
        const texts = ['first passage', 'second passage', 'third "quoted" passage'];
        await store.createCollection('payloads', { dimension: 8 });
        await store.upsert('payloads', toRecordBatch({ ids, vectors, dimension: 8, texts, payloads }));
        for (const [i, id] of ids.entries()) {
          const [top] = await store.search('payloads', vectors.subarray(i * 8, (i + 1) * 8), {
            topK: 1,
            withPayload: true,
          });
          assert.equal(top?.id, id);
          assert.deepEqual(top.payload, { text: texts[i], ...(payloads[i] ?? {}) });
        }
        const [bare] = await store.search('payloads', vectors.subarray(0, 8), { topK: 1 });
        assert.equal(bare?.payload, undefined);
      }),
    );

    test(
      'finalize is idempotent and keeps the points; a later write clears finalized',
      withStore(async (store) => {
        const points = makePoints(200, 16, 12);
        await store.createCollection('docs', { dimension: 16 });
        await store.upsert('docs', batchOf(points));
        await store.finalize('docs');
        const info = await store.describe('docs');
        assert.equal(info?.finalized, true);
        assert.equal(info.count, 200);
        await store.finalize('docs');
        assert.deepEqual(await store.describe('docs'), info);
        const query = randomUnitVectors(1, 16, 13);
        const hits = await store.search('docs', query, { topK: 10 });
        assertExactRanking(
          hits,
          exactTopK(points, [query], 10)[0]!,
          points,
          query,
          SCORE_TOLERANCE,
          'after finalize',
        );
        const extra = makePoints(1, 16, 14, 'extra-');
        await store.upsert('docs', batchOf(extra));
        const changed = await store.describe('docs');
        assert.equal(changed?.finalized, false);
        assert.equal(changed.count, 201);
        await store.finalize('docs');
        assert.equal((await store.describe('docs'))?.finalized, true);
        const [top] = await store.search('docs', row(extra, 0), { topK: 1 });
        assert.equal(top?.id, 'extra-0');
      }),
    );

    test(
      'deleteCollection removes the collection; deleting an unknown one is a no-op',
      withStore(async (store) => {
        await store.createCollection('gone', { dimension: 8 });
        await store.createCollection('kept', { dimension: 8 });
        await store.upsert('gone', batchOf(makePoints(10, 8, 15)));
        await store.deleteCollection('gone');
        assert.equal(await store.describe('gone'), undefined);
        assert.ok(!(await store.listCollections()).includes('gone'));
        assert.ok((await store.listCollections()).includes('kept'));
        await assert.rejects(store.count('gone'), CollectionNotFoundError);
        await store.deleteCollection('gone');
        await store.deleteCollection('never-existed');
        await store.createCollection('gone', { dimension: 4 });
        assert.equal((await store.describe('gone'))?.dimension, 4);
        assert.equal(await store.count('gone'), 0);
      }),
    );

    test(
      'an unknown collection: count, search, upsert and finalize fail with CollectionNotFoundError; describe is undefined',
      withStore(async (store) => {
        const names = (error: unknown) => {
          assert.ok(error instanceof CollectionNotFoundError, `got ${String(error)}`);
          assert.match(error.message, /"missing"/);
          return true;
        };
        await assert.rejects(store.count('missing'), names);
        await assert.rejects(store.search('missing', new Float32Array(8), { topK: 3 }), names);
        await assert.rejects(store.upsert('missing', batchOf(makePoints(2, 8, 16))), names);
        await assert.rejects(store.finalize('missing'), names);
        assert.equal(await store.describe('missing'), undefined);
        assert.ok(!(await store.listCollections()).includes('missing'));
      }),
    );

    test(
      'a batch or a query of another width fails with DimensionMismatchError naming the collection',
      withStore(async (store) => {
        await store.createCollection('docs', { dimension: 16 });
        await assert.rejects(store.upsert('docs', batchOf(makePoints(3, 32, 17))), (error: unknown) => {
          assert.ok(error instanceof DimensionMismatchError, `got ${String(error)}`);
          assert.match(error.message, /"docs"/);
          assert.equal(error.expected, 16);
          assert.equal(error.actual, 32);
          return true;
        });
        assert.equal(await store.count('docs'), 0);
        await assert.rejects(store.search('docs', new Float32Array(15), { topK: 3 }), (error: unknown) => {
          assert.ok(error instanceof DimensionMismatchError, `got ${String(error)}`);
          assert.match(error.message, /"docs"/);
          return true;
        });
      }),
    );

    test(
      'scan returns every stored point once, with its vector, text and payload',
      withStore(async (store) => {
        const points = makePoints(600, 8, 23);
        await store.createCollection('docs', { dimension: 8 });
        await store.upsert('docs', batchOf(points));
        await store.upsert('docs', batchOf(slice(points, 0, 100)));
        const seen = new Map<string, { vector: Float32Array; text: string; payload: unknown }>();
        let rows = 0;
        for await (const batch of store.scan('docs')) {
          batch.ids.forEach((id, i) => {
            rows += 1;
            seen.set(id, {
              vector: batch.vectors.slice(i * batch.dimension, (i + 1) * batch.dimension),
              text: batch.texts[i]!,
              payload: batch.payloads?.[i],
            });
          });
        }
        assert.equal(rows, 600, 'no point twice');
        assert.deepEqual([...seen.keys()].sort(), [...points.ids].sort());
        points.ids.forEach((id, i) => {
          const stored = seen.get(id)!;
          assert.equal(stored.text, `passage ${id}`);
          assert.deepEqual(stored.payload, { source: 'conformance', id });
          row(points, i).forEach((value, d) => assert.ok(Math.abs(value - stored.vector[d]!) < 1e-6));
        });
      }),
    );

    test(
      'shard ledger: recordShard is idempotent; completedShards lists the shards of one collection only',
      withStore(async (store) => {
        assert.deepEqual(await store.completedShards('docs'), new Map(), 'no collection, no ledger: nothing done');
        await store.createCollection('docs', { dimension: 8 });
        await store.createCollection('other', { dimension: 8 });
        assert.deepEqual(await store.completedShards('docs'), new Map());
        await store.recordShard('docs', 'abc-0000001', 250);
        await store.recordShard('docs', 'abc-0000001', 250);
        await store.recordShard('docs', 'abc-0000002', 120);
        await store.recordShard('docs', '7', 1);
        await store.recordShard('other', 'abc-0000001', 99);
        assert.deepEqual(
          await store.completedShards('docs'),
          new Map([
            ['abc-0000001', 250],
            ['abc-0000002', 120],
            ['7', 1],
          ]),
        );
        assert.deepEqual(await store.completedShards('other'), new Map([['abc-0000001', 99]]));
        assert.deepEqual((await store.listCollections()).sort(), ['docs', 'other'], 'ledgers stay hidden');
        assert.equal(await store.count('docs'), 0, 'the ledger is not in the collection');
      }),
    );

    test(
      'shard ledger: deleteCollection deletes it; a shard of an unknown collection is refused; ledger names are reserved',
      withStore(async (store) => {
        await store.createCollection('docs', { dimension: 8 });
        await store.recordShard('docs', 'abc-0000001', 250);
        await store.deleteCollection('docs');
        assert.deepEqual(await store.completedShards('docs'), new Map());
        await store.createCollection('docs', { dimension: 8 });
        assert.deepEqual(await store.completedShards('docs'), new Map(), 'a re-created collection starts clean');
        await assert.rejects(store.recordShard('missing', 'abc-0000001', 5), (error: unknown) => {
          assert.ok(error instanceof CollectionNotFoundError, `got ${String(error)}`);
          assert.match(error.message, /"missing"/);
          return true;
        });
        assert.deepEqual(await store.completedShards('missing'), new Map());
        await assert.rejects(store.createCollection('docs__shards', { dimension: 8 }), /reserved for shard ledgers/);
        assert.deepEqual(await store.listCollections(), ['docs']);
      }),
    );
  });
}

/** `count` random unit points; every third id is a string id, the others numeric (as in real corpora). */
function makePoints(count: number, dimension: number, seed: number, prefix?: string): ReferencePoints {
  const ids = Array.from({ length: count }, (_, i) =>
    prefix !== undefined ? `${prefix}${i}` : i % 3 === 2 ? `doc-${seed}-${i}` : String(seed * 100_000 + i),
  );
  return { ids, vectors: randomUnitVectors(count, dimension, seed), dimension };
}

/** 8-d unit vectors whose dot product with e1 (the first component) is each point's `score`, exactly. */
function scoredPoints(rows: readonly { id: string; score: number }[]): ReferencePoints {
  const dimension = 8;
  const vectors = new Float32Array(rows.length * dimension);
  rows.forEach(({ score }, i) => {
    vectors[i * dimension] = score;
    vectors[i * dimension + 1] = Math.sqrt(1 - score * score);
  });
  return { ids: rows.map((r) => r.id), vectors, dimension };
}

function slice(points: ReferencePoints, start: number, end: number): ReferencePoints {
  const { dimension } = points;
  return {
    ids: points.ids.slice(start, end),
    vectors: points.vectors.slice(start * dimension, end * dimension),
    dimension,
  };
}

function batchOf(points: ReferencePoints) {
  return toRecordBatch({
    ids: points.ids,
    vectors: points.vectors,
    dimension: points.dimension,
    texts: points.ids.map((id) => `passage ${id}`),
    payloads: points.ids.map((id) => ({ source: 'conformance', id })),
  });
}

function row(points: ReferencePoints, i: number): Float32Array {
  return points.vectors.subarray(i * points.dimension, (i + 1) * points.dimension);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
