/**
 * The query API end to end: a corpus ingested by the real pipeline (producer and worker processes,
 * private Redis, the bundled reference model, embedded LanceDB), then searched through the API running
 * as its own process, as in production. The API's rankings must equal exact search (libs/scoring) over
 * the stored vectors, and the service must stop cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadEnv } from '@embedline/config';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import { openStore } from '@embedline/store';
import { writeTsvCorpus } from './support/corpus-files.ts';
import { PrivateRedis } from './support/private-redis.ts';
import { runApp, startApp, stopApp, waitFor } from './support/processes.ts';
import { readAllPoints } from './support/stored-points.ts';

const READ_KEY = 'e2e-read-key-0123456789';
const QUERIES = [
  'memory storage',
  'antenna signal wave',
  'digital logic circuit',
  'transistor',
  'computer memory passage 17',
];
const TOP_K = 10;

interface Hit {
  id: string;
  score: number;
  payload?: { text: string };
}

/** The parts of the API's answers this test reads. */
interface Answer {
  count: number;
  ingest: { state: string; done_records: number };
  results: { query: string; hits: Hit[] }[];
  dimension: number;
  embeddings: number[][];
}

describe('query API end to end', { timeout: 600_000 }, () => {
  let redis: PrivateRedis;
  let dir: string;
  before(async () => {
    redis = await PrivateRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'embedline-api-e2e-'));
  });
  after(async () => {
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ingest with the pipeline, search through the API: the same ranking as exact search', async () => {
    const env = {
      EMBEDLINE_REDIS_URL: redis.url,
      EMBEDLINE_QUEUE_PREFIX: `api-e2e-${randomUUID().slice(0, 8)}`,
      EMBEDLINE_STORE: 'lancedb',
      EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
      EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
      EMBEDLINE_SHARD_SIZE: '100',
      EMBEDLINE_INTRA_OP_THREADS: '1',
      EMBEDLINE_API_HOST: '127.0.0.1',
      EMBEDLINE_API_PORT: '0',
      EMBEDLINE_API_READ_KEYS: READ_KEY,
      EMBEDLINE_API_DEFAULT_COLLECTION: 'corpus',
      LOG_LEVEL: 'info',
    };
    const corpusFile = join(dir, 'corpus.tsv');
    const entries = writeTsvCorpus(corpusFile, 400);

    const worker = startApp('worker', [], env);
    try {
      const ingest = await runApp(
        'producer',
        ['ingest', corpusFile, '--collection', 'corpus', '--no-progress', '--follow'],
        env,
      );
      assert.equal(ingest.code, 0, ingest.output);
      assert.match(ingest.output, /finalized .*: 400 points stored/);
    } finally {
      assert.equal(await stopApp(worker), 0);
    }

    const api = startApp('api', [], env);
    try {
      const base = await waitFor(
        'the API to listen',
        async () => /listening on (http:\/\/[^\s"]+)/.exec(api.output())?.[1],
        120_000,
      );
      await waitFor('readiness', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
      const call = async (path: string, body?: unknown): Promise<Answer> => {
        const response = await fetch(`${base}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'x-api-key': READ_KEY, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        assert.equal(response.status, 200, await response.clone().text());
        return (await response.json()) as Answer;
      };

      const detail = await call('/v1/collections/corpus');
      assert.equal(detail.count, 400);
      assert.equal(detail.ingest.state, 'finalized');
      assert.equal(detail.ingest.done_records, 400);

      // The first search goes to LanceDB; the memory index loads the finalized collection meanwhile.
      const searched = await call('/v1/search', { query: QUERIES, top_k: TOP_K });
      const embedded = await call('/v1/embed', { input: QUERIES });

      // Exact search over every stored vector, with the query vectors the API computed.
      const store = await openStore(loadEnv(env));
      const { ids, vectors } = await readAllPoints(store, 'corpus').finally(() => store.close());
      const dimension = embedded.dimension;
      const corpus = createMatrix(
        new Float32Array(ids.flatMap((id) => Array.from(vectors.get(id)!))),
        ids.length,
        dimension,
      );
      const queries = createMatrix(Float32Array.from(embedded.embeddings.flat()), QUERIES.length, dimension);
      const exact = semanticSearch(queries, corpus, { topK: TOP_K });

      const sameAsExact = (answer: Answer, path: string) =>
        QUERIES.forEach((query, q) => {
        const hits = answer.results[q]!.hits;
        assert.equal(answer.results[q]!.query, query, path);
        assert.equal(hits.length, TOP_K);
        exact[q]!.forEach((expected, rank) => {
          const hit = hits[rank]!;
          assert.ok(
            Math.abs(hit.score - expected.score) < 1e-5,
            `${query} #${rank}: score ${hit.score} vs exact ${expected.score}`,
          );
          // Equal ids, unless two passages tie within float error (then either order is right).
          if (hit.id !== ids[expected.corpusId]) {
            const tied = exact[q]!.some(
              (other) => ids[other.corpusId] === hit.id && Math.abs(other.score - expected.score) < 1e-6,
            );
            assert.ok(tied, `${query} #${rank}: ${hit.id} vs exact ${ids[expected.corpusId]}`);
          }
          const text = entries.find(([id]) => id === hit.id)?.[1];
          assert.equal(hit.payload?.text, text, 'hits carry their passage text');
        });
      });
      sameAsExact(searched, 'store');

      // Then the same queries are answered from memory, in one search call, with the same ranking.
      await waitFor('the memory index to hold the collection', async () =>
        api.output().includes('memory index: collection resident') ? true : undefined,
      );
      sameAsExact(await call('/v1/search', { query: QUERIES, top_k: TOP_K }), 'memory index');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /embedline_api_memory_index_points\{collection="corpus"\} 400/);
      assert.match(metrics, new RegExp(`embedline_api_search_batch_queries_sum ${QUERIES.length}\\b`));
    } finally {
      const code = await stopApp(api);
      assert.equal(code, 0, api.output());
      assert.match(api.output(), /stopped cleanly/);
    }
  });
});
