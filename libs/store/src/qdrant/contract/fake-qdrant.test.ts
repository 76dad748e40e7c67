import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeQdrant } from './fake-qdrant.ts';
import { OpenApiContract, convertSchema } from './openapi-contract.ts';

async function call(
  fake: FakeQdrant,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

describe('OpenApiContract', () => {
  test('converts OpenAPI 3.0 nullable, drops example, closes objects that list properties', () => {
    assert.deepEqual(convertSchema({ type: 'integer', nullable: true, example: 3 }), {
      type: ['integer', 'null'],
    });
    assert.deepEqual(convertSchema({ type: 'string', enum: ['a'], nullable: true }), {
      type: ['string', 'null'],
      enum: ['a', null],
    });
    assert.deepEqual(convertSchema({ anyOf: [{ $ref: '#/components/schemas/X' }, { nullable: true }] }), {
      anyOf: [{ $ref: 'qdrant-openapi#/components/schemas/X' }, { type: 'null' }],
    });
    assert.deepEqual(convertSchema({ type: 'object', properties: { example: { type: 'string' } } }), {
      type: 'object',
      properties: { example: { type: 'string' } },
      additionalProperties: false,
    });
    assert.deepEqual(convertSchema({ type: 'object', additionalProperties: true }), {
      type: 'object',
      additionalProperties: true,
    });
  });

  test('matches operations by method and path template, literal segments first', () => {
    const contract = OpenApiContract.load();
    assert.equal(contract.version, 'master');
    const put = contract.match('PUT', '/collections/my%20docs');
    assert.ok('match' in put);
    assert.equal(put.match.operation.operationId, 'create_collection');
    assert.deepEqual(put.match.pathParams, { collection_name: 'my docs' });
    const alias = contract.match('POST', '/collections/aliases');
    assert.ok('match' in alias && alias.match.operation.operationId === 'update_aliases');
    assert.deepEqual(contract.match('GET', '/nope'), {
      error: "GET /nope: no such endpoint in Qdrant's API (OpenAPI master)",
      status: 404,
    });
    const legacy = contract.match('POST', '/collections/x/points/search');
    assert.ok(
      'error' in legacy && legacy.status === 405,
      'the legacy search endpoint is gone from the v1.19 document',
    );
  });

  test('validates response bodies: a wrong answer is caught', () => {
    const contract = OpenApiContract.load();
    const found = contract.match('POST', '/collections/x/points/count');
    assert.ok('match' in found);
    assert.deepEqual(
      contract.validateResponse(found.match, 200, { result: { count: 3 }, status: 'ok', time: 0.1 }),
      [],
    );
    assert.match(
      contract.validateResponse(found.match, 200, { result: { count: -1 }, status: 'ok', time: 0.1 })[0] ??
        '',
      /count must be >= 0/,
    );
    assert.match(
      contract.validateResponse(found.match, 200, { result: { total: 3 }, status: 'ok', time: 0.1 })[0] ?? '',
      /count/,
    );
    assert.deepEqual(
      contract.validateResponse(found.match, 404, { status: { error: 'Not found' }, time: 0.1 }),
      [],
    );
    assert.match(
      contract.validateComponent('CollectionInfo', { status: 'green' }) ?? '',
      /required property/,
    );
  });
});

describe('FakeQdrant', () => {
  test('implements the collection and point endpoints with schema-valid answers', async () => {
    const fake = await FakeQdrant.start({ optimizationPolls: 0 });
    try {
      assert.equal(
        (
          await call(fake, 'PUT', '/collections/c', {
            vectors: { size: 2, distance: 'Dot' },
            metadata: { a: 1, b: 2 },
          })
        ).status,
        200,
      );
      assert.equal(
        (await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } })).status,
        409,
      );
      assert.deepEqual((await call(fake, 'GET', '/collections/c/exists')).json['result'], { exists: true });
      const upsert = await call(fake, 'PUT', '/collections/c/points?wait=true', {
        points: [
          { id: 2, vector: [1, 0], payload: { k: 'two' } },
          { id: '550E8400-E29B-41D4-A716-446655440000', vector: [0, 1] },
          { id: 1, vector: [0.6, 0.8] },
        ],
      });
      assert.deepEqual(upsert.json['result'], { operation_id: 1, status: 'completed' });
      const batch = await call(fake, 'PUT', '/collections/c/points', {
        batch: { ids: [3], vectors: [[0.8, 0.6]] },
      });
      assert.equal((batch.json['result'] as { status: string }).status, 'acknowledged');
      const query = await call(fake, 'POST', '/collections/c/points/query', {
        query: [1, 0],
        limit: 2,
        with_payload: true,
      });
      assert.deepEqual(
        (query.json['result'] as { points: { id: unknown; score: number; payload?: unknown }[] }).points.map(
          (p) => [p.id, Math.round(p.score * 100) / 100, p.payload],
        ),
        [
          [2, 1, { k: 'two' }],
          [3, 0.8, {}],
        ],
      );
      const scroll = await call(fake, 'POST', '/collections/c/points/scroll', {
        limit: 3,
        with_payload: false,
      });
      assert.deepEqual(scroll.json['result'], {
        points: [{ id: 1 }, { id: 2 }, { id: 3 }],
        next_page_offset: '550e8400-e29b-41d4-a716-446655440000',
      });
      assert.deepEqual(
        (await call(fake, 'POST', '/collections/c/points/count', { exact: true })).json['result'],
        { count: 4 },
      );
      await call(fake, 'PATCH', '/collections/c', { metadata: { a: null, c: 3 } });
      assert.deepEqual(fake.collection('c')?.metadata, { b: 2, c: 3 });
      assert.deepEqual(
        (await call(fake, 'POST', '/collections/c/points/delete?wait=true', { points: [1, 2] })).status,
        200,
      );
      assert.deepEqual((await call(fake, 'DELETE', '/collections/c')).json['result'], true);
      assert.deepEqual((await call(fake, 'DELETE', '/collections/c')).json['result'], false);
      assert.equal((await call(fake, 'GET', '/collections/c')).status, 404);
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.close();
    }
  });

  test('payload-only collections (`vectors: {}`): points carry `vector: {}`; a vector is refused as on a real server', async () => {
    const fake = await FakeQdrant.start();
    try {
      assert.equal((await call(fake, 'PUT', '/collections/l', { vectors: {}, shard_number: 1 })).status, 200);
      const info = (await call(fake, 'GET', '/collections/l')).json['result'] as {
        config: { params: { vectors: unknown } };
      };
      assert.deepEqual(info.config.params.vectors, {});
      const id = '6f1d7c2e-4b8a-5e21-9c3d-0a7b5e9f1c42';
      const put = await call(fake, 'PUT', '/collections/l/points?wait=true', {
        points: [{ id, vector: {}, payload: { shard: 's', records: 3 } }],
      });
      assert.deepEqual(put.json['result'], { operation_id: 1, status: 'completed' });
      const scrolled = await call(fake, 'POST', '/collections/l/points/scroll', { limit: 5, with_vector: true });
      assert.deepEqual(scrolled.json['result'], {
        points: [{ id, payload: { shard: 's', records: 3 }, vector: {} }],
        next_page_offset: null,
      });
      const withVector = await call(fake, 'PUT', '/collections/l/points?wait=true', {
        points: [{ id, vector: [1, 0] }],
      });
      assert.equal(withVector.status, 400);
      assert.match(JSON.stringify(withVector.json), /Not existing vector name/);
      assert.equal(fake.collection('l')?.size, 0);
      assert.deepEqual(fake.violations, [], 'legitimate requests and answers');
    } finally {
      await fake.close();
    }
  });

  test('records every contract violation: unknown endpoints, bad parameters and bodies, unmodelled fields', async () => {
    const fake = await FakeQdrant.start();
    try {
      assert.equal(
        (await call(fake, 'POST', '/collections/c/points/search', { vector: [1, 0], limit: 1 })).status,
        405,
      );
      assert.equal((await call(fake, 'GET', '/collection/c')).status, 404);
      assert.equal(
        (await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot', on_disks: true } }))
          .status,
        400,
      );
      assert.equal(
        (await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Cosinus' } })).status,
        400,
      );
      assert.equal(
        (await call(fake, 'PUT', '/collections/c?wait=true', { vectors: { size: 2, distance: 'Dot' } }))
          .status,
        400,
      );
      assert.equal((await call(fake, 'PUT', '/collections/c', '{"vectors":')).status, 400);
      // Another distance is kept (someone else's collection may have one), but not scored.
      assert.equal(
        (await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Cosine' } })).status,
        200,
      );
      assert.equal(
        (await call(fake, 'POST', '/collections/c/points/query', { query: [1, 0], limit: 1 })).status,
        501,
      );
      assert.equal(
        (await call(fake, 'PUT', '/collections/d', { vectors: { size: 2, distance: 'Dot' } })).status,
        200,
      );
      assert.equal(
        (await call(fake, 'POST', '/collections/d/points/count', { filter: { must: [] } })).status,
        501,
      );
      assert.equal(
        (await call(fake, 'PUT', '/collections/d/points', { points: [{ id: -1, vector: [1, 0] }] })).status,
        400,
      );
      assert.equal(fake.violations.length, 9, fake.violations.join('\n'));
      assert.match(fake.violations[0]!, /points\/search/);
      assert.match(fake.violations[2]!, /on_disks/);
      assert.match(fake.violations[4]!, /undeclared query parameter "wait"/);
      assert.match(fake.violations[6]!, /scores Dot distance only, the collection has Cosine/);
      assert.match(fake.violations[7]!, /does not model "filter"/);
    } finally {
      await fake.close();
    }
  });

  test('a legitimate error answer (unknown collection, wrong dimension, missing API key) is not a violation', async () => {
    const fake = await FakeQdrant.start({ apiKey: 'k', readOnlyApiKey: 'ro' });
    try {
      assert.equal((await call(fake, 'GET', '/collections')).status, 401);
      // The read-only key reads; a write with it is a 403 (Qdrant's lib/storage/src/rbac/mod.rs).
      const readOnly = { 'api-key': 'ro' };
      assert.equal((await call(fake, 'GET', '/collections', undefined, readOnly)).status, 200);
      const refused = await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } }, readOnly);
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.json['status'], { error: 'Forbidden: Global manage access is required' });
      // An unknown key is a 401 too (Qdrant's src/common/auth/mod.rs: Unauthorized, "Invalid API key or JWT").
      assert.equal((await call(fake, 'GET', '/collections', undefined, { 'api-key': 'nope' })).status, 401);
      const key = { 'api-key': 'k' };
      assert.equal((await call(fake, 'POST', '/collections/none/points/count', {}, key)).status, 404);
      await call(fake, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } }, key);
      const wrong = await call(
        fake,
        'PUT',
        '/collections/c/points',
        { points: [{ id: 1, vector: [1, 0, 0] }] },
        key,
      );
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json['status'], {
        error: 'Wrong input: Vector dimension error: expected dim: 2, got 3',
      });
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.close();
    }
  });

  test('injects faults: a status with Retry-After for N requests, and delays', async () => {
    const fake = await FakeQdrant.start();
    try {
      fake.inject({ operationId: 'get_collections', status: 429, retryAfter: '7', times: 2 });
      fake.inject({ operationId: 'get_collections', delayMs: 50 });
      const first = await call(fake, 'GET', '/collections');
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '7');
      assert.equal((await call(fake, 'GET', '/collections')).status, 429);
      const started = Date.now();
      assert.equal((await call(fake, 'GET', '/collections')).status, 200);
      assert.ok(Date.now() - started >= 45);
      assert.equal((await call(fake, 'GET', '/collections')).status, 200);
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.close();
    }
  });
});
