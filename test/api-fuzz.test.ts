/**
 * Fuzzing the routes: thousands of random and malformed requests — random JSON, near-valid bodies with
 * wrong values, random bytes, random content types, random collection names — must never get a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ApiFixture, auth, COLLECTION } from './api-fixture.ts';

const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined));
/** Mostly right, sometimes wrong: valid values reach the handlers, invalid ones the validators. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue });
const texts = mostly(
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 300 }),
    fc.array(fc.string({ minLength: 1, maxLength: 50 }), { minLength: 1, maxLength: 12 }),
  ),
);

/** Bodies shaped like a search request, each field valid, wrong or missing. */
const searchBody = fc.record(
  {
    query: texts,
    top_k: mostly(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: -5, max: 1100 }), fc.double())),
    collection: mostly(fc.oneof(fc.constant(COLLECTION), fc.string({ maxLength: 80 }))),
    filter: mostly(
      fc.dictionary(
        fc.constantFrom('lang', 'year', 'id', 'text', 'title', 'colour', ''),
        fc.oneof(
          fc.constantFrom('en', 'de', 2004),
          fc.jsonValue(),
          fc.record({ in: fc.array(fc.jsonValue()), gte: fc.jsonValue() }, { requiredKeys: [] }),
        ),
        { maxKeys: 3 },
      ),
    ),
    with_payload: mostly(fc.boolean()),
    extra: anyValue,
  },
  { requiredKeys: ['query'] },
);
const embedBody = fc.record({ input: texts }, { requiredKeys: [] });

/** A payload as sent on the wire: JSON of a body, a mangled JSON text, or raw bytes. */
function wire(body: fc.Arbitrary<unknown>) {
  return fc.oneof(
    { weight: 6, arbitrary: body.map((b) => JSON.stringify(b) ?? '') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(body, fc.nat(), fc.string({ maxLength: 3 }))
        .map(([b, cut, junk]) => (JSON.stringify(b) ?? '').slice(0, cut) + junk),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  );
}
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'multipart/form-data; boundary=x',
      '',
      'application/json; charset=latin1',
    ),
  },
);
const accept = fc.constantFrom(
  undefined,
  'application/json',
  'application/vnd.apache.arrow.stream',
  '*/*',
  'text/html',
  ',,;q=',
);

describe('query API fuzzing: no input gets a 5xx', { timeout: 600_000 }, () => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  before(async () => {
    fx = await ApiFixture.start();
    app = await fx.server({ maxBatchQueries: 16 });
    // Searches go through the memory index, as they do in production once a collection is finalized.
    await fx.holdInMemory(app);
  });
  after(async () => {
    await app.close();
    await fx.dispose();
  });

  const statuses = new Map<number, number>();

  async function assertNo5xx(request: InjectOptions) {
    const response = await app.inject(request);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    assert.ok(
      response.statusCode < 500,
      `${response.statusCode} for ${JSON.stringify(request).slice(0, 400)}: ${response.body.slice(0, 300)}`,
    );
    if (response.statusCode >= 400)
      assert.equal(typeof response.json().message, 'string', 'errors are JSON with a message');
  }

  for (const [url, body] of [
    ['/v1/search', searchBody],
    ['/v1/embed', embedBody],
  ] as const) {
    test(`POST ${url}: 1,500 random bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(wire(body), contentType, accept, async (payload, type, acceptHeader) => {
          const headers: Record<string, string> = { ...auth };
          if (type !== '') headers['content-type'] = type;
          if (acceptHeader !== undefined) headers.accept = acceptHeader;
          await assertNo5xx({ method: 'POST', url, headers, payload });
        }),
        { numRuns: 1500 },
      );
      // The generators must reach the handlers too, not only the validators.
      assert.ok(
        (statuses.get(200) ?? 0) >= 15,
        `valid bodies were generated: ${JSON.stringify([...statuses])}`,
      );
      statuses.clear();
    });
  }

  test('GET /v1/collections/:name and other paths: 500 random names and methods', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 120 }),
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
        async (name, method) => {
          await assertNo5xx({ method, url: `/v1/collections/${encodeURIComponent(name)}`, headers: auth });
          await assertNo5xx({
            method,
            url: `/v1/${encodeURIComponent(name)}?top_k=${encodeURIComponent(name)}`,
            headers: auth,
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
