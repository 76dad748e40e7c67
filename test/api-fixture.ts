/**
 * Shared set-up of the API suites: the bundled reference encoder, an embedded LanceDB store holding a
 * small collection with payloads, a private Redis with that collection's ingest manifest, and servers
 * built in-process (fastify.inject) with test keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { buildApiServer, type ApiDeps, type ApiOptions } from '@embedline/http';
import { IngestManifest } from '@embedline/queue';
import { LanceDbStore, toRecordBatch, type VectorStore } from '@embedline/store';
import { PrivateRedis } from './support/private-redis.ts';

export const READ_KEY = 'read-key-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const COLLECTION = 'docs';
export const QUEUE_PREFIX = 'api-test';

const quiet = { info: () => undefined, warn: () => undefined };
const WORDS = [
  'memory',
  'storage',
  'digital',
  'circuit',
  'transistor',
  'wave',
  'antenna',
  'signal',
  'computer',
  'logic',
];

export interface Passage {
  readonly id: string;
  readonly text: string;
  readonly payload: { lang: string; year: number; title: string };
}

/** 40 passages; even ids are "en", odd "de"; years 2000..2019. */
export function passages(count = 40): Passage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(i),
    text:
      Array.from({ length: 4 + (i % 7) }, (_, w) => WORDS[(i * 3 + w * 7) % WORDS.length]).join(' ') +
      ` passage ${i}`,
    payload: { lang: i % 2 === 0 ? 'en' : 'de', year: 2000 + (i % 20), title: `title ${i}` },
  }));
}

export const defaultOptions: ApiOptions = {
  readKeys: [READ_KEY],
  adminKeys: [ADMIN_KEY],
  corsOrigins: [],
  rateLimitPerMinute: 100_000,
  defaultCollection: COLLECTION,
  maxQueryChars: 200,
  maxBatchQueries: 8,
  bodyLimit: 64 * 1024,
  batchWaitMs: 2,
  batchMaxTexts: 64,
  queryCacheSize: 1000,
};

export class ApiFixture {
  private constructor(
    readonly dir: string,
    readonly redisServer: PrivateRedis,
    readonly encoder: Encoder,
    readonly store: VectorStore,
    readonly corpus: Passage[],
    private readonly clients: Redis[] = [],
  ) {}

  static async start(): Promise<ApiFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-api-'));
    const redisServer = await PrivateRedis.start();
    const encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 1 }, quiet);
    const store = new LanceDbStore({ uri: join(dir, 'lancedb') });
    const corpus = passages();
    const embedded = await encoder.encode(corpus.map((p) => p.text));
    await store.createCollection(COLLECTION, { dimension: embedded.dimension });
    await store.upsert(
      COLLECTION,
      toRecordBatch({
        ids: corpus.map((p) => p.id),
        texts: corpus.map((p) => p.text),
        vectors: embedded.vectors,
        dimension: embedded.dimension,
        payloads: corpus.map((p) => p.payload),
      }),
    );
    // Finalized, as an ingest leaves it: the API's memory index may hold it (see holdInMemory).
    await store.finalize(COLLECTION);
    const fixture = new ApiFixture(dir, redisServer, encoder, store, corpus);
    const manifest = new IngestManifest(fixture.redis(), QUEUE_PREFIX);
    await manifest.begin(COLLECTION, 'f'.repeat(32), 'docs.tsv');
    await manifest.setTotals(COLLECTION, {
      acceptedRecords: corpus.length,
      rejectedRecords: 0,
      totalShards: 1,
      sealed: true,
    });
    await manifest.markShardDone(COLLECTION, 'shard-0', corpus.length);
    await manifest.markFinalized(COLLECTION, corpus.length);
    return fixture;
  }

  /** A Redis client as the API makes it: commands fail (one retry) rather than wait for Redis forever. */
  redis(url = this.redisServer.url): Redis {
    const client = new Redis(url, {
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      retryStrategy: () => 200,
    });
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  /**
   * Searches once and waits until `app`'s memory index holds the collection, so that later searches go
   * through it (the first search of a collection is always the store's: the index loads it meanwhile).
   */
  async holdInMemory(app: FastifyInstance): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const search = await app.inject({
        method: 'POST',
        url: '/v1/search',
        headers: auth,
        payload: { query: 'warm' },
      });
      assert.equal(search.statusCode, 200, search.body);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      if (
        new RegExp(
          `embedline_api_memory_index_points\\{collection="${COLLECTION}"\\} ${this.corpus.length}`,
        ).test(metrics)
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the memory index did not hold the fixture collection');
  }

  async server(options: Partial<ApiOptions> = {}, deps: Partial<ApiDeps> = {}) {
    return buildApiServer(
      {
        encoder: this.encoder,
        store: this.store,
        redis: deps.redis ?? this.redis(),
        queuePrefix: QUEUE_PREFIX,
        logger: deps.logger ?? pino({ level: 'silent' }),
        ...deps,
      },
      { ...defaultOptions, ...options },
    );
  }

  async vectorOf(text: string): Promise<Float32Array> {
    return (await this.encoder.encode([text])).vectors;
  }

  async dispose(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    await this.store.close();
    await this.encoder.close();
    await this.redisServer.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A pino logger writing into a string, to check what reaches the logs. */
export function capturingLogger() {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), output: () => text };
}

export const auth = { 'x-api-key': READ_KEY };
