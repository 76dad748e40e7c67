/**
 * Route tests for the query API (fastify.inject): every endpoint, every bad-input case of issue 4,
 * auth, rate limits, CORS, log redaction, store and Redis outages, and draining on close.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { ARROW_STREAM, MAX_TOP_K } from '@embedline/http';
import { INGEST_STATES } from '@embedline/pipeline';
import { QdrantStore, toRecordBatch } from '@embedline/store';
// The store's contract-checked Qdrant fake (validates every request against Qdrant's OpenAPI document).
import { FakeQdrant } from '../libs/store/src/qdrant/contract/fake-qdrant.ts';
import { IngestManifest } from '@embedline/queue';
import {
  ADMIN_KEY,
  ApiFixture,
  auth,
  capturingLogger,
  COLLECTION,
  QUEUE_PREFIX,
  READ_KEY,
} from './api-fixture.ts';

const json = { ...auth, 'content-type': 'application/json' };

/** Hit ids per query of a search answer. */
function ids(body: { results: { hits: { id: string }[] }[] }): string[][] {
  return body.results.map((result) => result.hits.map((hit) => hit.id));
}

describe('query API routes', { timeout: 300_000 }, () => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  before(async () => {
    fx = await ApiFixture.start();
    app = await fx.server();
  });
  after(async () => {
    await app.close();
    await fx.dispose();
  });

  const search = (body: unknown, headers: Record<string, string> = json) =>
    app.inject({
      method: 'POST',
      url: '/v1/search',
      headers,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** Asserts a JSON error answer with this status whose message matches. */
  function assertError(
    response: { statusCode: number; json: () => unknown },
    status: number,
    message: RegExp,
  ) {
    assert.equal(response.statusCode, status, JSON.stringify(response.json()));
    const body = response.json() as { statusCode: number; code: string; message: string };
    assert.equal(body.statusCode, status);
    assert.equal(typeof body.code, 'string');
    assert.match(body.message, message);
  }

  describe('POST /v1/search', () => {
    test('a passage text as query finds that passage first, scores descending, payload included', async () => {
      const target = fx.corpus[7]!;
      const response = await search({ query: target.text, top_k: 5 });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.collection, COLLECTION);
      const hits = body.results[0].hits;
      assert.equal(hits.length, 5);
      assert.equal(hits[0].id, target.id);
      assert.ok(Math.abs(hits[0].score - 1) < 1e-4, `self-similarity ${hits[0].score}`);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
      assert.deepEqual(hits[0].payload, { text: target.text, ...target.payload });
    });

    test('scores are the dot products of the query and passage vectors', async () => {
      const response = await search({ query: 'digital signal', top_k: 3 });
      const query = await fx.vectorOf('digital signal');
      for (const hit of response.json().results[0].hits) {
        const passage = await fx.vectorOf(fx.corpus[Number(hit.id)]!.text);
        const dot = query.reduce((sum, q, d) => sum + q * passage[d]!, 0);
        assert.ok(Math.abs(dot - hit.score) < 1e-4, `${hit.id}: ${dot} vs ${hit.score}`);
      }
    });

    test('a batch of queries gives one result per query, each as the query alone would', async () => {
      const queries = ['memory storage', 'wave antenna', 'logic circuit'];
      const batch = (await search({ query: queries, top_k: 4 })).json();
      assert.deepEqual(
        batch.results.map((r: { query: string }) => r.query),
        queries,
      );
      for (const [i, query] of queries.entries()) {
        const alone = (await search({ query, top_k: 4 })).json();
        assert.deepEqual(
          batch.results[i].hits.map((h: { id: string }) => h.id),
          alone.results[0].hits.map((h: { id: string }) => h.id),
        );
      }
    });

    test('with_payload false leaves payloads out; top_k defaults to 10', async () => {
      const hits = (await search({ query: 'computer', with_payload: false })).json().results[0].hits;
      assert.equal(hits.length, 10);
      for (const hit of hits) assert.deepEqual(Object.keys(hit).sort(), ['id', 'score']);
    });

    test('filters: equality, in, ne, numeric ranges, id; matches are the best matching passages', async () => {
      const all = (await search({ query: 'signal wave', top_k: 40 })).json().results[0].hits as {
        id: string;
        payload: { lang: string; year: number };
      }[];
      const cases: [unknown, (p: { id: string; payload: { lang: string; year: number } }) => boolean][] = [
        [{ lang: 'de' }, (h) => h.payload.lang === 'de'],
        [
          { lang: { in: ['de'] }, year: { gte: 2005, lt: 2012 } },
          (h) => h.payload.lang === 'de' && h.payload.year >= 2005 && h.payload.year < 2012,
        ],
        [{ lang: { ne: 'de' } }, (h) => h.payload.lang !== 'de'],
        [{ id: { in: ['3', '4', '5'] } }, (h) => ['3', '4', '5'].includes(h.id)],
      ];
      for (const [filter, keep] of cases) {
        const response = await search({ query: 'signal wave', top_k: 3, filter });
        assert.equal(response.statusCode, 200, response.body);
        const expected = all
          .filter(keep)
          .slice(0, 3)
          .map((h) => h.id);
        assert.deepEqual(
          response.json().results[0].hits.map((h: { id: string }) => h.id),
          expected,
          JSON.stringify(filter),
        );
      }
    });

    test("answers from the memory index equal the store's: hits, scores, payloads, filters", async () => {
      await fx.holdInMemory(app);
      const storeOnly = await fx.server({ memoryIndexBytes: 0 });
      try {
        const bodies = [
          { query: ['memory storage', 'wave antenna', fx.corpus[3]!.text], top_k: 7 },
          { query: 'logic circuit', top_k: 40, with_payload: false },
          { query: 'signal wave', top_k: 5, filter: { lang: 'de', year: { gte: 2005 } } },
        ];
        for (const body of bodies) {
          const [fromMemory, fromStore] = await Promise.all(
            [app, storeOnly].map(async (server) =>
              (
                await server.inject({ method: 'POST', url: '/v1/search', headers: json, payload: body })
              ).json(),
            ),
          );
          fromStore.results.forEach((result: { hits: { id: string; score: number }[] }, q: number) => {
            const hits = fromMemory.results[q].hits as { id: string; score: number }[];
            const withoutScores = (list: { score: number }[]) => list.map(({ score: _, ...rest }) => rest);
            assert.deepEqual(withoutScores(hits), withoutScores(result.hits), JSON.stringify(body));
            hits.forEach((hit, rank) => assert.ok(Math.abs(hit.score - result.hits[rank]!.score) < 1e-5));
          });
        }
        const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(
          metrics,
          /embedline_api_store_duration_seconds_count\{operation="memory-search",outcome="ok"\} [1-9]/,
        );
      } finally {
        await storeOnly.close();
      }
    });

    test('the collection can be named; without a default it must be', async () => {
      assert.equal((await search({ query: 'wave', collection: COLLECTION })).statusCode, 200);
      const strict = await fx.server({ defaultCollection: undefined });
      try {
        const response = await strict.inject({
          method: 'POST',
          url: '/v1/search',
          headers: json,
          payload: { query: 'wave' },
        });
        assertError(response, 400, /collection is required/);
      } finally {
        await strict.close();
      }
    });
  });

  describe('bad input is a 4xx JSON error that says what is wrong', () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['malformed JSON', '{"query": "wave",', 400, /not valid JSON/],
      ['a body that is not an object', '[1, 2]', 400, /body must be object/],
      ['no query', { top_k: 3 }, 400, /must have required property 'query'/],
      ['query of the wrong type', { query: 42 }, 400, /body\/query must be string,array/],
      ['a query list holding a number', { query: ['ok', 7] }, 400, /body\/query\/1 must be string/],
      ['empty query', { query: '' }, 400, /body\/query must NOT have fewer than 1 characters/],
      ['whitespace-only query', { query: '   ' }, 400, /query is empty/],
      ['whitespace-only query in a list', { query: ['ok', ' \n'] }, 400, /query\[1\] is empty/],
      [
        'a query of only control characters (what the tokenizer drops: it would embed as "")',
        { query: '\u0000\u200b\ufffd\ud800 ' },
        400,
        /^query is empty \(only whitespace or control characters\)$/,
      ],
      ['the same in a list', { query: ['ok', '\u0001\u00ad'] }, 400, /^query\[1\] is empty/],
      ['empty query list', { query: [] }, 400, /body\/query must NOT have fewer than 1 items/],
      [
        'query longer than the limit',
        { query: 'x'.repeat(201) },
        400,
        /body\/query must NOT have more than 200 characters/,
      ],
      [
        'too many queries in a batch',
        { query: Array(9).fill('wave') },
        400,
        /body\/query must NOT have more than 8 items/,
      ],
      ['top_k 0', { query: 'wave', top_k: 0 }, 400, /body\/top_k must be >= 1/],
      [
        'top_k above the maximum',
        { query: 'wave', top_k: MAX_TOP_K + 1 },
        400,
        /body\/top_k must be <= 1000/,
      ],
      ['top_k not an integer', { query: 'wave', top_k: 2.5 }, 400, /body\/top_k must be integer/],
      ['top_k as a string', { query: 'wave', top_k: '10' }, 400, /body\/top_k must be integer/],
      ['unknown collection', { query: 'wave', collection: 'nope' }, 404, /collection "nope" does not exist/],
      [
        'collection name with bad characters',
        { query: 'wave', collection: '../etc' },
        400,
        /body\/collection must match pattern/,
      ],
      [
        'unknown filter field',
        { query: 'wave', filter: { colour: 'red' } },
        400,
        /filter field "colour" is not a field of collection "docs" \(its fields: id, lang, text, title, year\)/,
      ],
      [
        'malformed filter condition',
        { query: 'wave', filter: { year: { between: [1, 2] } } },
        400,
        /^body\/filter\/year: "between" is not a condition \(eq, ne, in, gt, gte, lt, lte\)$/,
      ],
      [
        'filter range on a string',
        { query: 'wave', filter: { year: { gte: 'x' } } },
        400,
        /^body\/filter\/year\/gte must be number$/,
      ],
      [
        'filter value that is neither a value nor conditions',
        { query: 'wave', filter: { year: null } },
        400,
        /^body\/filter\/year must be a string, number or boolean \(equal to\), or an object of conditions \(eq, ne, in, gt, gte, lt, lte\)$/,
      ],
      [
        'filter with no condition',
        { query: 'wave', filter: { year: {} } },
        400,
        /^body\/filter\/year is an empty object: give a value, or conditions/,
      ],
      [
        'filter "in" with no values',
        { query: 'wave', filter: { lang: { in: [] } } },
        400,
        /^body\/filter\/lang\/in must NOT have fewer than 1 items$/,
      ],
      [
        'filter with an empty field name',
        { query: 'wave', filter: { '': 1 } },
        400,
        /^body\/filter: field names are 1 to 128 characters \("" is not\)$/,
      ],
      [
        'unknown property',
        { query: 'wave', topk: 3 },
        400,
        /must NOT have additional properties \("topk" is not a field of this request\)/,
      ],
      [
        'with_payload not a boolean',
        { query: 'wave', with_payload: 'yes' },
        400,
        /body\/with_payload must be boolean/,
      ],
    ];
    for (const [name, body, status, message] of cases) {
      test(name, async () => assertError(await search(body), status, message));
    }

    test('wrong content type', async () => {
      assertError(
        await search('query=wave', { ...auth, 'content-type': 'text/plain' }),
        415,
        /^content type "text\/plain" is not accepted: send a JSON body with content-type: application\/json$/,
      );
    });

    test('no body at all', async () => {
      assertError(
        await app.inject({ method: 'POST', url: '/v1/search', headers: auth }),
        400,
        /body must be object/,
      );
    });

    test('a body over the size limit', async () => {
      const response = await search({ query: 'x'.repeat(70_000) });
      assertError(
        response,
        413,
        /^the body is larger than this server's limit of 65536 bytes \(EMBEDLINE_API_BODY_LIMIT\)$/,
      );
      assert.equal(response.json().code, 'body_too_large');
    });

    test('embed: empty input, too many inputs, wrong type', async () => {
      const embed = (payload: unknown) =>
        app.inject({ method: 'POST', url: '/v1/embed', headers: json, payload: JSON.stringify(payload) });
      assertError(await embed({ input: '' }), 400, /body\/input must NOT have fewer than 1 characters/);
      assertError(
        await embed({ input: Array(9).fill('a') }),
        400,
        /body\/input must NOT have more than 8 items/,
      );
      assertError(await embed({ input: { text: 'a' } }), 400, /body\/input must be string,array/);
      assertError(await embed({ text: 'a' }), 400, /required property 'input'/);
    });

    test("a path with a bad percent-encoding, and an empty JSON body, in the API's codes", async () => {
      const url = await app.inject({ method: 'GET', url: '/v1/collections/%ZZ', headers: auth });
      assertError(
        url,
        400,
        /^the path "\/v1\/collections\/%ZZ" is not valid: it has a malformed percent-encoding$/,
      );
      assert.equal(url.json().code, 'bad_url');
      const empty = await search('', json);
      assertError(empty, 400, /^the body is empty: send a JSON object/);
      assert.equal(empty.json().code, 'malformed_json');
    });

    test('an unknown route is a JSON 404', async () => {
      assertError(await app.inject({ method: 'GET', url: '/v2/nothing' }), 404, /no route GET \/v2\/nothing/);
    });

    test('a wrong method is a 405 naming the allowed ones, also beside the search page', async () => {
      const withPage = await fx.server({ publicDir: join(import.meta.dirname, '../apps/api/public') });
      try {
        for (const server of [app, withPage]) {
          const get = await server.inject({ method: 'GET', url: '/v1/search', headers: auth });
          assertError(get, 405, /^GET is not allowed on \/v1\/search \(allowed: POST\)$/);
          assert.equal(get.headers.allow, 'POST');
          const del = await server.inject({
            method: 'DELETE',
            url: `/v1/collections/${COLLECTION}`,
            headers: auth,
          });
          assertError(del, 405, /allowed: GET, HEAD/);
          // The page's catch-all GET route does not make every path a 405.
          assertError(
            await server.inject({ method: 'POST', url: '/v2/nothing' }),
            404,
            /no route POST \/v2\/nothing/,
          );
        }
        assert.equal((await withPage.inject({ method: 'GET', url: '/' })).statusCode, 200);
      } finally {
        await withPage.close();
      }
    });
  });

  describe('POST /v1/embed', () => {
    test('JSON: one normalized vector per input, equal to the encoder output', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/embed',
        headers: json,
        payload: { input: ['wave', 'logic'] },
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.dimension, 64);
      assert.equal(body.embeddings.length, 2);
      const expected = await fx.encoder.encode(['wave', 'logic']);
      body.embeddings.forEach((row: number[], i: number) => {
        assert.equal(row.length, 64);
        assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5);
        row.forEach((v, d) => assert.equal(v, expected.vectors[i * 64 + d]));
      });
    });

    test('Arrow IPC stream when asked for it', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/embed',
        headers: { ...json, accept: `${ARROW_STREAM}, application/json;q=0.5` },
        payload: { input: ['wave', 'logic', 'memory'] },
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], ARROW_STREAM);
      const table = tableFromIPC(response.rawPayload);
      assert.equal(table.numRows, 3);
      const expected = await fx.encoder.encode(['wave', 'logic', 'memory']);
      for (let i = 0; i < 3; i++) {
        const row = table.getChild('embedding')!.get(i)!.toArray() as Float32Array;
        assert.deepEqual(row, expected.vectors.subarray(i * 64, (i + 1) * 64));
      }
    });

    test("the Accept header's qualities choose between Arrow and JSON", async () => {
      const served = async (accept: string) =>
        (
          await app.inject({
            method: 'POST',
            url: '/v1/embed',
            headers: { ...json, accept },
            payload: { input: 'wave' },
          })
        ).headers['content-type'];
      const jsonType = 'application/json; charset=utf-8';
      assert.equal(await served(`${ARROW_STREAM};q=0, application/json`), jsonType, 'q=0 refuses Arrow');
      assert.equal(await served(`application/json, ${ARROW_STREAM};q=0.5`), jsonType, 'JSON preferred');
      assert.equal(await served(`${ARROW_STREAM}, application/json`), ARROW_STREAM, 'a tie goes to Arrow');
      assert.equal(await served(`*/*, ${ARROW_STREAM}; q=0.8`), ARROW_STREAM);
      assert.equal(await served('*/*'), jsonType);
    });
  });

  describe('collections', () => {
    test('GET /v1/collections lists count, dimension, distance', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/collections', headers: auth });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().collections, [
        { name: COLLECTION, count: 40, dimension: 64, distance: 'dot', finalized: true },
      ]);
    });

    test('GET /v1/collections/:name adds the ingest status from Redis', async () => {
      const response = await app.inject({
        method: 'GET',
        url: `/v1/collections/${COLLECTION}`,
        headers: auth,
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.count, 40);
      assert.equal(body.dimension, 64);
      assert.equal(body.ingest.state, 'finalized');
      assert.equal(body.ingest.accepted_records, 40);
      assert.equal(body.ingest.done_records, 40);
      assert.equal(body.ingest.done_shards, 1);
    });

    test('a collection whose ingest has stored nothing yet: a 404 that says the ingest is under way', async () => {
      const manifest = new IngestManifest(fx.redis(), QUEUE_PREFIX);
      await manifest.begin('coming', 'c'.repeat(32), 'coming.tsv');
      await manifest.setTotals('coming', {
        acceptedRecords: 30,
        rejectedRecords: 0,
        totalShards: 3,
        sealed: true,
      });
      const expected =
        /^collection "coming" does not exist yet: its ingest is embedding \(0 of 3 shards done\); it appears when its first shard is stored$/;
      assertError(
        await app.inject({ method: 'GET', url: '/v1/collections/coming', headers: auth }),
        404,
        expected,
      );
      const searched = await search({ query: 'wave', collection: 'coming' });
      assertError(searched, 404, expected);
      assert.equal(searched.json().code, 'unknown_collection');
    });

    test('unknown and malformed names', async () => {
      assertError(
        await app.inject({ method: 'GET', url: '/v1/collections/nope', headers: auth }),
        404,
        /collection "nope" does not exist/,
      );
      assertError(
        await app.inject({ method: 'GET', url: '/v1/collections/b%20ad', headers: auth }),
        400,
        /params\/name must match pattern/,
      );
    });
  });

  describe('operations', () => {
    test('GET /healthz and /readyz', async () => {
      assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().ready, true);
      assert.deepEqual(
        [ready.json().checks.store.ok, ready.json().checks.redis.ok, ready.json().checks.model.ok],
        [true, true, true],
      );
    });

    test('GET /metrics: request latency, encoder batches, cache, store latency, queue depths', async () => {
      await search({ query: 'metrics probe' });
      const response = await app.inject('/metrics');
      assert.equal(response.statusCode, 200);
      assert.match(response.headers['content-type'] as string, /text\/plain/);
      for (const name of [
        'embedline_api_request_duration_seconds_bucket{le="0.001",method="POST",route="/v1/search",status_code="200"}',
        'embedline_api_encoder_batch_texts_count',
        'embedline_api_encoder_batch_duration_seconds_count',
        'embedline_api_query_cache_total{result="miss"}',
        'embedline_api_store_duration_seconds_count{operation="search",outcome="ok"}',
        'embedline_queue_jobs{queue="shards",state="wait"} 0',
        'embedline_api_process_cpu_seconds_total',
      ]) {
        assert.ok(response.body.includes(name), `metrics have ${name}`);
      }
    });

    test('a repeated query is served from the cache', async () => {
      const hits = async () =>
        Number(
          /embedline_api_query_cache_total\{result="hit"\} (\d+)/.exec(
            (await app.inject('/metrics')).body,
          )?.[1] ?? 0,
        );
      await search({ query: 'cache me' });
      const before = await hits();
      await search({ query: 'cache me' });
      assert.equal(await hits(), before + 1);
    });

    test('the OpenAPI document at /openapi.json and the docs at /docs', async () => {
      const doc = (await app.inject('/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      for (const path of [
        '/v1/search',
        '/v1/embed',
        '/v1/collections',
        '/v1/collections/{name}',
        '/healthz',
        '/readyz',
        '/metrics',
      ]) {
        assert.ok(doc.paths[path], `documents ${path}`);
      }
      assert.ok(doc.paths['/v1/search'].post.requestBody, 'search body documented');
      // What the routes really do: the operations routes need no key, either key scheme opens the others,
      // a JSON body can be too large or not JSON, and /v1/embed also answers Arrow.
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        assert.deepEqual(doc.paths[path].get.security, [], `${path} is documented as open`);
      }
      assert.deepEqual(doc.security, [{ apiKey: [] }, { bearer: [] }]);
      assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
      for (const path of ['/v1/search', '/v1/embed']) {
        for (const status of ['400', '413', '415', '429']) {
          assert.ok(doc.paths[path].post.responses[status], `${path} documents ${status}`);
        }
      }
      assert.deepEqual(Object.keys(doc.paths['/v1/embed'].post.responses['200'].content).sort(), [
        'application/json',
        ARROW_STREAM,
      ]);
      // Every state `status` reports, and the API's own for Redis not answering.
      const ingest =
        doc.paths['/v1/collections/{name}'].get.responses['200'].content['application/json'].schema.properties
          .ingest;
      assert.deepEqual(ingest.properties.state.enum, [...INGEST_STATES, 'unavailable']);
      const docs = await app.inject('/docs/');
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /swagger/i);
    });
  });

  describe('security', () => {
    test('read routes need a valid key: header or Bearer', async () => {
      assertError(
        await search({ query: 'wave' }, { 'content-type': 'application/json' }),
        401,
        /API key is required/,
      );
      assertError(
        await search(
          { query: 'wave' },
          { 'content-type': 'application/json', 'x-api-key': 'not-a-key-at-all-000' },
        ),
        401,
        /not valid/,
      );
      assert.equal(
        (
          await search(
            { query: 'wave' },
            { 'content-type': 'application/json', authorization: `Bearer ${READ_KEY}` },
          )
        ).statusCode,
        200,
      );
      assert.equal(
        (await search({ query: 'wave' }, { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY }))
          .statusCode,
        200,
      );
    });

    test('the queue dashboard needs the admin key', async () => {
      const none = await app.inject('/admin/queues');
      assertError(none, 401, /API key is required/);
      assert.match(none.headers['www-authenticate'] as string, /Basic/);
      assertError(await app.inject({ url: '/admin/queues', headers: auth }), 403, /admin key/);
      const admin = await app.inject({ url: '/admin/queues', headers: { 'x-api-key': ADMIN_KEY } });
      assert.equal(admin.statusCode, 200);
      assert.match(admin.body, /<html/i);
      const basic = `Basic ${Buffer.from(`ops:${ADMIN_KEY}`).toString('base64')}`;
      assert.equal(
        (await app.inject({ url: '/admin/queues', headers: { authorization: basic } })).statusCode,
        200,
      );
      const queues = await app.inject({
        url: '/admin/queues/api/queues',
        headers: { 'x-api-key': ADMIN_KEY },
      });
      assert.equal(queues.statusCode, 200);
      assert.deepEqual(
        queues
          .json()
          .queues.map((q: { name: string }) => q.name)
          .sort(),
        ['dead-letter', 'finalize', 'shards'],
      );
    });

    test('rate limit per key: 429 with Retry-After once a key spends its budget on any routes; other keys unaffected', async () => {
      const limited = await fx.server({
        rateLimitPerMinute: 3,
        readKeys: [READ_KEY, 'second-read-key-0123456789'],
      });
      try {
        const call = (key: string) =>
          limited.inject({
            method: 'POST',
            url: '/v1/search',
            headers: { 'x-api-key': key },
            payload: { query: 'wave' },
          });
        // Bad requests spend the budget too.
        const bad = await limited.inject({
          method: 'POST',
          url: '/v1/search',
          headers: { 'x-api-key': READ_KEY },
          payload: { query: 'wave', top_k: 0 },
        });
        assert.equal(bad.statusCode, 400);
        assert.equal(bad.headers['x-ratelimit-remaining'], '2');
        assert.equal((await call(READ_KEY)).statusCode, 200);
        // One budget for all the paid routes, not one per route.
        const list = () => limited.inject({ url: '/v1/collections', headers: { 'x-api-key': READ_KEY } });
        assert.equal((await list()).statusCode, 200);
        for (const over of [await call(READ_KEY), await list()]) {
          assertError(
            over,
            429,
            /^rate limit exceeded: 3 requests a minute for this API key; retry after \d+ s$/,
          );
          assert.equal(over.json().code, 'rate_limited');
          assert.ok(Number(over.headers['retry-after']) > 0);
        }
        assert.equal((await call('second-read-key-0123456789')).statusCode, 200);
      } finally {
        await limited.close();
      }
    });

    test('callers without a key behind a proxy: one budget each with EMBEDLINE_API_TRUST_PROXY, one for all without', async () => {
      const search = (app: FastifyInstance, client: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/search',
          remoteAddress: '10.0.0.5', // the ingress
          headers: { 'x-forwarded-for': client },
          payload: { query: 'wave' },
        });
      for (const [trustProxy, secondClient] of [
        [['10.0.0.0/8'], 200],
        [1, 200],
        [undefined, 429],
      ] as const) {
        const open = await fx.server({ readKeys: [], adminKeys: [], rateLimitPerMinute: 1, trustProxy });
        try {
          assert.equal((await search(open, '203.0.113.1')).statusCode, 200);
          assert.equal(
            (await search(open, '203.0.113.2')).statusCode,
            secondClient,
            `trustProxy ${trustProxy}`,
          );
        } finally {
          await open.close();
        }
      }
    });

    test('CORS: configured origins get the headers, others do not', async () => {
      const open = await fx.server({ corsOrigins: ['https://app.example'] });
      try {
        const preflight = await open.inject({
          method: 'OPTIONS',
          url: '/v1/search',
          headers: {
            origin: 'https://app.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'x-api-key,content-type',
          },
        });
        assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
        assert.match(String(preflight.headers['access-control-allow-headers']), /x-api-key/);
        // A cross-origin script may read Retry-After and the rate-limit budget.
        const listed = await open.inject({
          method: 'GET',
          url: '/v1/collections',
          headers: { ...auth, origin: 'https://app.example' },
        });
        assert.equal(listed.headers['access-control-allow-origin'], 'https://app.example');
        assert.equal(
          listed.headers['access-control-expose-headers'],
          'retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-truncated-inputs, x-request-id',
        );
        const other = await open.inject({
          method: 'GET',
          url: '/healthz',
          headers: { origin: 'https://evil.example' },
        });
        assert.equal(other.headers['access-control-allow-origin'], undefined);
      } finally {
        await open.close();
      }
      const closed = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: 'https://app.example' },
      });
      assert.equal(closed.headers['access-control-allow-origin'], undefined);
    });

    test('keys never reach the logs', async () => {
      const { logger, output } = capturingLogger();
      const logged = await fx.server({}, { logger });
      try {
        await logged.inject({ method: 'POST', url: '/v1/search', headers: json, payload: { query: 'wave' } });
        await logged.inject({
          method: 'POST',
          url: '/v1/search',
          headers: { authorization: `Bearer ${READ_KEY}` },
          payload: { query: 'wave' },
        });
        await logged.inject({ url: '/admin/queues', headers: auth });
      } finally {
        await logged.close();
      }
      assert.match(output(), /\[redacted\]/, 'request headers are logged, redacted');
      assert.ok(!output().includes(READ_KEY), 'the key itself is not');
      assert.ok(!output().includes(READ_KEY.slice(0, 12)), 'nor a prefix of it');
    });

    test('keys shorter than 16 characters are refused at start', async () => {
      await assert.rejects(fx.server({ readKeys: ['short'] }), /at least 16/);
    });
  });

  describe('outages', () => {
    test('a store that does not answer: 503 with Retry-After, never a hang or a 500', async () => {
      const dead = new QdrantStore({ url: 'http://127.0.0.1:9', retry: { maxAttempts: 1 }, timeoutMs: 2000 });
      const down = await fx.server({}, { store: dead });
      try {
        for (const request of [
          { method: 'POST' as const, url: '/v1/search', payload: { query: 'wave' } },
          { method: 'POST' as const, url: '/v1/search', payload: { query: 'wave', filter: { lang: 'en' } } },
          { method: 'GET' as const, url: '/v1/collections' },
          { method: 'GET' as const, url: `/v1/collections/${COLLECTION}` },
        ]) {
          const response = await down.inject({ ...request, headers: auth });
          assertError(response, 503, /vector store is unavailable/);
          assert.equal(response.headers['retry-after'], '5');
        }
        const ready = await down.inject('/readyz');
        assert.equal(ready.statusCode, 503);
        assert.equal(ready.json().checks.store.ok, false);
      } finally {
        await down.close();
        await dead.close();
      }
    });

    test('Redis down: /readyz stays 200 (search needs no Redis) and says Redis is not connected; collection details still answer, ingest status "unavailable"', async () => {
      const down = await fx.server({}, { redis: fx.redis('redis://127.0.0.1:9') });
      try {
        const ready = await down.inject('/readyz');
        assert.equal(ready.statusCode, 200);
        assert.equal(ready.json().ready, true);
        assert.equal(ready.json().checks.redis.ok, false);
        assert.match(
          ready.json().checks.redis.detail,
          /^Redis is not connected \(\w+\); search and embed do not need it$/,
        );
        assert.equal(
          (
            await down.inject({
              method: 'POST',
              url: '/v1/search',
              headers: json,
              payload: { query: 'wave' },
            })
          ).statusCode,
          200,
        );
        const detail = await down.inject({ url: `/v1/collections/${COLLECTION}`, headers: auth });
        assert.equal(detail.statusCode, 200);
        assert.equal(detail.json().ingest.state, 'unavailable');
        assert.equal((await down.inject('/metrics')).statusCode, 200);
        // The queue dashboard's data: a 503 in the API's error body, not Bull Board's 500.
        const board = await down.inject({
          url: '/admin/queues/api/queues',
          headers: { 'x-api-key': ADMIN_KEY },
        });
        assertError(
          board,
          503,
          /^the queue dashboard needs Redis, which is not connected \(\w+\); retry after 5 s$/,
        );
        assert.equal(board.json().code, 'redis_unavailable');
        assert.equal(board.headers['retry-after'], '5');
      } finally {
        await down.close();
      }
    });
  });

  test('against the Qdrant store: the same hits, filters and collection details as on LanceDB', async () => {
    const fake = await FakeQdrant.start();
    const qdrant = new QdrantStore({ url: fake.url });
    const onQdrant = await fx.server({}, { store: qdrant });
    try {
      await qdrant.createCollection(COLLECTION, { dimension: 64 });
      for await (const rows of fx.store.scan(COLLECTION))
        await qdrant.upsert(COLLECTION, toRecordBatch(rows));
      for (const body of [
        { query: ['signal wave', 'memory'], top_k: 7 },
        { query: 'logic', top_k: 5, filter: { lang: 'de', year: { gte: 2005 } } },
        { query: 'logic', top_k: 3, with_payload: false },
      ]) {
        const expected = (await search(body)).json();
        const response = await onQdrant.inject({
          method: 'POST',
          url: '/v1/search',
          headers: json,
          payload: body,
        });
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(ids(response.json()), ids(expected), JSON.stringify(body));
      }
      assertError(
        await onQdrant.inject({
          method: 'POST',
          url: '/v1/search',
          headers: json,
          payload: { query: 'x', filter: { colour: 1 } },
        }),
        400,
        /filter field "colour"/,
      );
      assertError(
        await onQdrant.inject({
          method: 'POST',
          url: '/v1/search',
          headers: json,
          payload: { query: 'x', collection: 'nope' },
        }),
        404,
        /"nope" does not exist/,
      );
      const detail = await onQdrant.inject({ url: `/v1/collections/${COLLECTION}`, headers: auth });
      assert.equal(detail.json().count, 40);
      assert.equal(detail.json().ingest.state, 'finalized');
      assert.deepEqual(fake.violations, [], 'every request the API made was valid Qdrant API');
    } finally {
      await onQdrant.close();
      await qdrant.close();
      await fake.close();
    }
  });

  test('static files (the search page) are served from the public folder when it exists', async () => {
    const publicDir = mkdtempSync(join(tmpdir(), 'embedline-public-'));
    writeFileSync(join(publicDir, 'index.html'), '<!doctype html><title>Embedline search</title>');
    const withPage = await fx.server({ publicDir });
    try {
      const page = await withPage.inject('/');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Embedline search/);
      assert.equal((await withPage.inject('/docs/')).statusCode, 200, 'docs still served');
    } finally {
      await withPage.close();
      rmSync(publicDir, { recursive: true, force: true });
    }
  });

  test('close() drains requests in flight, then refuses new ones', async () => {
    const closing = await fx.server();
    const inFlight = closing.inject({
      method: 'POST',
      url: '/v1/search',
      headers: json,
      payload: { query: 'drain me please' },
    });
    await new Promise((resolve) => setImmediate(resolve));
    await closing.close();
    assert.equal((await inFlight).statusCode, 200);
    await assert.rejects(closing.inject('/healthz'));
  });
});
