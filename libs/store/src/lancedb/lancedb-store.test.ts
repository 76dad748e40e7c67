import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, type Connection } from '@lancedb/lancedb';
import { toRecordBatch } from '../embedded-batch.ts';
import { CONCURRENT_DIMENSION, SHARDS, SHARD_SIZE, allConcurrentIds } from '../testing/concurrent-upserts.ts';
import { runStoreConformance } from '../testing/conformance.ts';
import { assertExactRanking, exactTopK } from '../testing/exact-reference.ts';
import { indexCopiesOnDisk } from '../testing/index-copies.ts';
import { perturb, randomUnitVectors, seededRandom, vectorForId } from '@embedline/testing';
import { LanceDbStore } from './lancedb-store.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function withoutLanceBuffers(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LANCE_DEFAULT_IO_BUFFER_SIZE: _io, LANCE_SHUFFLE_BATCH_BYTES: _shuffle, ...rest } = env;
  return rest;
}

/**
 * Runs an ES module script (imports relative to the repository root) in a fresh Node process with a
 * store folder as its argument, Lance's buffer variables taken from `env` only; resolves its stdout.
 * Fails after 60 s rather than hang with a child that does.
 */
function runStoreScript(script: string, env: Record<string, string>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const folder = mkdtempSync(join(tmpdir(), 'embedline-lancedb-child-'));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(folder, 'db')], {
      cwd: REPO_ROOT,
      env: { ...withoutLanceBuffers(process.env), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 60_000,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      rmSync(folder, { recursive: true, force: true });
      if (code === 0) resolve(out.trim());
      else reject(new Error(`the child process exited ${code ?? signal}: ${out}`));
    });
  });
}

/** Each id's vectorForId, one after another. */
function vectorsFor(ids: readonly string[]): Float32Array {
  const vectors = new Float32Array(ids.length * 4);
  ids.forEach((id, row) => vectors.set(vectorForId(id, 4), row * 4));
  return vectors;
}

async function tempFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'embedline-lancedb-'));
}

runStoreConformance('lancedb', async () => {
  const folder = await tempFolder();
  return {
    store: new LanceDbStore({ uri: join(folder, 'db') }),
    cleanup: () => rm(folder, { recursive: true, force: true }),
  };
});

describe('LanceDbStore', () => {
  test('keeps one table per collection in the folder and reopens it from another store', async () => {
    const folder = await tempFolder();
    const uri = join(folder, 'db');
    try {
      const store = new LanceDbStore({ uri });
      await store.createCollection('msmarco', { dimension: 8 });
      const vectors = randomUnitVectors(3, 8, 1);
      await store.upsert(
        'msmarco',
        toRecordBatch({ ids: ['1', '2', 'x'], vectors, dimension: 8, texts: ['a', 'b', 'c'] }),
      );
      await store.finalize('msmarco');
      await store.close();
      assert.ok((await readdir(uri)).includes('msmarco.lance'));

      const again = new LanceDbStore({ uri });
      const { version, ...info } = (await again.describe('msmarco'))!;
      assert.deepEqual(info, { name: 'msmarco', dimension: 8, distance: 'dot', count: 3, finalized: true });
      // The version moves with every write (the memory index drops its copy on a change).
      await again.upsert('msmarco', toRecordBatch({ ids: ['1'], vectors: vectors.slice(0, 8), dimension: 8, texts: ['a'] }));
      const written = (await again.describe('msmarco'))!;
      assert.ok(typeof version === 'number' && typeof written.version === 'number' && written.version > version);
      assert.equal(written.finalized, false);
      assert.deepEqual(await again.listCollections(), ['msmarco']);
      await again.close();
      await assert.rejects(again.count('msmarco'), /closed/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('collections get stable row ids: ids follow write order and outlive compaction', async () => {
    const folder = await tempFolder();
    const uri = join(folder, 'db');
    try {
      const store = new LanceDbStore({ uri });
      await store.createCollection('stable', { dimension: 4 });
      for (const [shard, ids] of [['a', 'b'], ['c', 'd', 'e']].entries()) {
        const vectors = randomUnitVectors(ids.length, 4, shard + 1);
        await store.upsert('stable', toRecordBatch({ ids, vectors, dimension: 4, texts: ids }), { firstWrite: true });
      }
      const rowIds = async () => {
        const db = await connect(uri);
        const table = await db.openTable('stable');
        const rows = (await table.query().select(['id']).withRowId().toArray()) as { id: string; _rowid: bigint }[];
        table.close();
        db.close();
        return Object.fromEntries(rows.map((row) => [row.id, Number(row._rowid)]));
      };
      // Row addresses would put the second fragment's rows at 2^32 and up.
      const written = await rowIds();
      assert.deepEqual(written, { a: 0, b: 1, c: 2, d: 3, e: 4 });
      await store.finalize('stable'); // compacts two fragments into one
      assert.deepEqual(await rowIds(), written);
      await store.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('appends waiting for the same turn go in one commit; every row lands once, with its own vector', async () => {
    const folder = await tempFolder();
    const uri = join(folder, 'db');
    try {
      const store = new LanceDbStore({ uri });
      await store.createCollection('grouped', { dimension: 4 });
      const version = async () => {
        const db = await connect(uri);
        const table = await db.openTable('grouped');
        const at = await table.version();
        table.close();
        db.close();
        return at;
      };
      const before = await version();
      const shards = Array.from({ length: 8 }, (_, shard) => [`s${shard}-a`, `s${shard}-b`, `s${shard}-c`]);
      // As a worker's shards in flight do: all appending at once, the first holding the lock's turn for the others.
      await Promise.all(
        shards.map((ids) =>
          store.upsert('grouped', toRecordBatch({ ids, vectors: vectorsFor(ids), dimension: 4, texts: ids }), {
            firstWrite: true,
          }),
        ),
      );
      const commits = (await version()) - before;
      assert.ok(commits >= 1 && commits < shards.length, `${shards.length} appends in ${commits} commits`);
      assert.equal(await store.count('grouped'), 24);
      for (const id of ['s0-a', 's5-b', 's7-c']) {
        const [top] = await store.search('grouped', vectorForId(id, 4), { topK: 1, exact: true });
        assert.equal(top?.id, id);
        assert.ok(Math.abs(top!.score - 1) < 1e-6, `${id} stored with its own vector`);
      }
      await store.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('bounds Lance read-ahead and shuffle buffers, unless the environment set them', async () => {
    const probe = [
      "import { LanceDbStore } from './libs/store/src/lancedb/lancedb-store.ts';",
      "const store = new LanceDbStore({ uri: process.argv[1] });",
      "await store.listCollections(); await store.close();",
      "console.log(process.env.LANCE_DEFAULT_IO_BUFFER_SIZE, process.env.LANCE_SHUFFLE_BATCH_BYTES);",
    ].join('\n');
    assert.equal(await runStoreScript(probe, {}), `${16 * 2 ** 20} ${4 * 2 ** 20}`);
    assert.equal(
      await runStoreScript(probe, { LANCE_DEFAULT_IO_BUFFER_SIZE: '1000', LANCE_SHUFFLE_BATCH_BYTES: '2000' }),
      '1000 2000',
    );
  });

  test('a read-ahead bound far below one batch still reads it (no I/O deadlock)', async () => {
    // 400 rows of 64 KB texts: batches of ~25 MB against a 1 MiB I/O budget.
    const script = [
      "import { LanceDbStore, toRecordBatch } from './libs/store/src/index.ts';",
      "import { randomUnitVectors } from '@embedline/testing';",
      "const store = new LanceDbStore({ uri: process.argv[1] });",
      "await store.createCollection('big', { dimension: 8 });",
      "const ids = Array.from({ length: 400 }, (_, i) => String(i));",
      "const texts = ids.map(() => 'x'.repeat(65536));",
      "await store.upsert('big', toRecordBatch({ ids, vectors: randomUnitVectors(400, 8, 1), dimension: 8, texts }));",
      "await store.finalize('big');",
      "const hits = await store.search('big', Array.from(randomUnitVectors(1, 8, 2)), { topK: 400, withPayload: true });",
      "console.log(hits.length, hits.every((hit) => hit.payload?.text?.length === 65536));",
      "await store.close();",
    ].join('\n');
    assert.equal(await runStoreScript(script, { LANCE_DEFAULT_IO_BUFFER_SIZE: String(2 ** 20) }), '400 true');
  });

  test('refuses collection names LanceDB cannot hold, before LanceDB sees them', async () => {
    const folder = await tempFolder();
    try {
      const store = new LanceDbStore({ uri: folder });
      await assert.rejects(
        store.createCollection('bad name!', { dimension: 4 }),
        /collection name "bad name!" is not allowed/,
      );
      await assert.rejects(
        store.createCollection('docs', { dimension: 0 }),
        /dimension must be a positive integer/,
      );
      await store.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('three processes upserting disjoint and overlapping shards at once store every id exactly once', async () => {
    const folder = await tempFolder();
    const uri = join(folder, 'db');
    const workers = 3;
    const script = fileURLToPath(new URL('../testing/lancedb-upsert-worker.ts', import.meta.url));
    try {
      const runs = await Promise.all(
        Array.from({ length: workers }, (_, worker) =>
          runProcess(script, [uri, 'shared', String(worker), String(workers)]),
        ),
      );
      for (const [worker, run] of runs.entries()) {
        assert.equal(run.code, 0, `worker ${worker} exited ${run.code}:\n${run.stderr}`);
      }

      const store = new LanceDbStore({ uri });
      assert.equal(await store.count('shared'), SHARDS * SHARD_SIZE);
      await store.close();

      // Read every stored row straight from LanceDB: no id twice, every vector the one its id maps to.
      const db = await connect(uri);
      const table = await db.openTable('shared');
      const rows = (await table.query().select(['id', 'vector']).toArray()) as {
        id: string;
        vector: ArrayLike<number>;
      }[];
      table.close();
      db.close();
      const seen = new Map<string, number>();
      for (const { id } of rows) seen.set(id, (seen.get(id) ?? 0) + 1);
      const repeated = [...seen].filter(([, n]) => n > 1);
      assert.deepEqual(repeated, [], 'ids stored more than once');
      assert.deepEqual([...seen.keys()].sort(), allConcurrentIds().sort());
      for (const { id, vector } of rows) {
        assert.deepEqual(
          Array.from(vector),
          Array.from(vectorForId(id, CONCURRENT_DIMENSION)),
          `vector of ${id}`,
        );
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('finalize indexes only tables above the threshold, and retrains an index the table outgrew 4x', async () => {
    const folder = await tempFolder();
    try {
      const store = new LanceDbStore({ uri: folder, indexThreshold: 500 });
      const dimension = 16;
      const vectors = randomUnitVectors(5_000, dimension, 3);
      const ids = Array.from({ length: 5_000 }, (_, i) => `p${i}`);
      const load = (start: number, end: number) =>
        store.upsert(
          'grow',
          toRecordBatch({
            ids: ids.slice(start, end),
            vectors: vectors.subarray(start * dimension, end * dimension),
            dimension,
            texts: ids.slice(start, end),
          }),
        );
      await store.createCollection('grow', { dimension });
      await load(0, 400);
      await store.finalize('grow');
      assert.equal(
        await store.vectorIndex('grow'),
        undefined,
        '400 rows: below the threshold, searched exactly',
      );
      await load(400, 1_000);
      await store.finalize('grow');
      assert.equal((await store.vectorIndex('grow'))?.name, 'vector_ivfpq_p32_m8');
      await load(1_000, 2_000);
      await store.finalize('grow');
      const kept = await store.vectorIndex('grow');
      assert.equal(kept?.name, 'vector_ivfpq_p32_m8', '2x growth: kept, updated');
      assert.deepEqual([kept.indexedRows, kept.unindexedRows], [2_000, 0], 'the new rows folded into the index');
      await load(2_000, 5_000);
      await store.finalize('grow');
      const index = await store.vectorIndex('grow');
      assert.equal(index?.name, 'vector_ivfpq_p71_m8', '5x growth: retrained');
      assert.equal(index.indexedRows, 5_000);
      const [top] = await store.search('grow', vectors.subarray(4_999 * dimension), { topK: 1 });
      assert.equal(top?.id, 'p4999');
      await store.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  describe('ANN index at finalize (20,000 points, dim 16)', () => {
    const dimension = 16;
    const count = 20_000;
    const vectors = randomUnitVectors(count, dimension, 2024);
    const ids = Array.from({ length: count }, (_, i) => String(i));
    let folder: string;
    let store: LanceDbStore;

    before(async () => {
      folder = await tempFolder();
      store = new LanceDbStore({ uri: join(folder, 'db') });
      await store.createCollection('big', { dimension });
      for (let start = 0; start < count; start += 5_000) {
        const end = start + 5_000;
        await store.upsert(
          'big',
          toRecordBatch({
            ids: ids.slice(start, end),
            vectors: vectors.subarray(start * dimension, end * dimension),
            dimension,
            texts: ids.slice(start, end),
          }),
        );
      }
    });

    after(async () => {
      await store.close();
      await rm(folder, { recursive: true, force: true });
    });

    test('finalize builds an IVF-PQ index sized for the table', async () => {
      assert.equal(await store.vectorIndex('big'), undefined);
      await store.finalize('big');
      const index = await store.vectorIndex('big');
      assert.deepEqual(index, {
        type: 'IVF_PQ',
        name: 'vector_ivfpq_p141_m8',
        partitions: 141,
        subVectors: 8,
        indexedRows: count,
        unindexedRows: 0,
      });
      assert.equal((await store.describe('big'))?.finalized, true);
      // The four writes' fragments are one, all indexed, and nothing else is left on disk: LanceDB's
      // optimize() rewrites an index, and one run after the build left a second copy and the version using it.
      const db = await connect(join(folder, 'db'));
      const table = await db.openTable('big');
      assert.equal((await table.stats()).fragmentStats.numFragments, 1);
      const versions = (await table.listVersions()).length;
      table.close();
      db.close();
      const tableDir = join(folder, 'db', 'big.lance');
      assert.deepEqual(await readdir(join(tableDir, 'data')).then((files) => files.length), 1, 'data files');
      assert.equal(indexCopiesOnDisk(tableDir), 1, 'index copies on disk');
      assert.ok(versions <= 2, `${versions} versions kept: the compaction's and the index build's at most`);
    });

    test('ANN search has recall@10 >= 0.9 against exact search, with exact scores', async (t) => {
      const random = seededRandom(7);
      const queries = [
        ...Array.from({ length: 25 }, (_, i) => randomUnitVectors(1, dimension, 500 + i)),
        ...Array.from({ length: 25 }, (_, i) =>
          perturb(vectors.subarray(i * 401 * dimension, (i * 401 + 1) * dimension), 0.3, random),
        ),
      ];
      const reference = exactTopK({ ids, vectors, dimension }, queries, 10);
      let found = 0;
      for (const [q, query] of queries.entries()) {
        const exact = await store.search('big', query, { topK: 10, exact: true });
        assertExactRanking(
          exact,
          reference[q]!,
          { ids, vectors, dimension },
          query,
          1e-5,
          `exact search, query ${q}`,
        );
        const ann = await store.search('big', query, { topK: 10 });
        assert.equal(ann.length, 10);
        const truth = new Set(exact.map((h) => h.id));
        found += ann.filter((h) => truth.has(h.id)).length;
        for (const hit of ann) {
          const row = Number(hit.id);
          let score = 0;
          for (let d = 0; d < dimension; d++) score += query[d]! * vectors[row * dimension + d]!;
          assert.ok(
            Math.abs(hit.score - score) <= 1e-5,
            `ANN hit ${hit.id} scored ${hit.score}, dot product ${score}`,
          );
        }
      }
      const recall = found / (queries.length * 10);
      t.diagnostic(`recall@10 ${recall.toFixed(3)} over ${queries.length} queries`);
      assert.ok(recall >= 0.9, `recall@10 ${recall}`);
    });

    test('a write after finalize is searchable at once, clears finalized, and re-finalizing keeps the index', async () => {
      const extra = randomUnitVectors(50, dimension, 77);
      const extraIds = Array.from({ length: 50 }, (_, i) => `late-${i}`);
      await store.upsert('big', toRecordBatch({ ids: extraIds, vectors: extra, dimension, texts: extraIds }));
      assert.equal((await store.describe('big'))?.finalized, false);
      const [top] = await store.search('big', extra.subarray(0, dimension), { topK: 1 });
      assert.equal(top?.id, 'late-0');
      await store.finalize('big');
      const index = await store.vectorIndex('big');
      assert.equal(index?.name, 'vector_ivfpq_p141_m8');
      assert.equal(index.indexedRows, count + 50);
      assert.equal(index.unindexedRows, 0);
      assert.equal((await store.describe('big'))?.finalized, true);
      assert.equal(await store.count('big'), count + 50);
    });
  });
});

function runProcess(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('LanceDB shard ledger', () => {
  test('records shards durably, idempotently, per collection, and hides the ledger from listCollections', async () => {
    const uri = mkdtempSync(join(tmpdir(), 'embedline-ledger-'));
    try {
      const store = new LanceDbStore({ uri });
      assert.deepEqual(await store.completedShards('docs'), new Map());
      await store.createCollection('docs', { dimension: 4 });
      await store.recordShard('docs', 'abc-0000001', 250);
      await store.recordShard('docs', 'abc-0000001', 250);
      await store.recordShard('docs', 'abc-0000002', 120);
      await store.close();
      const reopened = new LanceDbStore({ uri });
      assert.deepEqual(await reopened.completedShards('docs'), new Map([['abc-0000001', 250], ['abc-0000002', 120]]));
      assert.deepEqual(await reopened.completedShards('other'), new Map());
      assert.deepEqual(await reopened.listCollections(), ['docs']);
      await reopened.deleteCollection('docs');
      assert.deepEqual(await reopened.completedShards('docs'), new Map());
      await reopened.close();
    } finally {
      rmSync(uri, { recursive: true, force: true });
    }
  });
  /** A store on a fresh folder, beside a connection of its own that looks under the store. */
  async function withStoreAndDb(use: (store: LanceDbStore, db: Connection) => Promise<void>): Promise<void> {
    const uri = mkdtempSync(join(tmpdir(), 'embedline-ledger-'));
    const db = await connect(uri);
    const store = new LanceDbStore({ uri });
    try {
      await use(store, db);
    } finally {
      await store.close();
      db.close();
      rmSync(uri, { recursive: true, force: true });
    }
  }
  test('createCollection creates the ledger, so that worker processes starting together never race to', () =>
    withStoreAndDb(async (store, db) => {
      await store.createCollection('docs', { dimension: 4 });
      assert.deepEqual(await db.tableNames(), ['docs', 'docs__shards']);
      await db.dropTable('docs__shards'); // a collection made before createCollection made ledgers
      await store.createCollection('docs', { dimension: 4 }); // every worker process calls it once
      assert.deepEqual(await db.tableNames(), ['docs', 'docs__shards']);
      assert.deepEqual(await store.completedShards('docs'), new Map());
    }));
  test('shards finishing together as a missing ledger is created are all recorded', () =>
    // A collection without a ledger (made before createCollection made one): the first shards' records
    // race to create it; LanceDB let two creates both succeed, the second replacing the first, and a
    // record was lost (the first shard of an 8.8M ingest).
    withStoreAndDb(async (store, db) => {
      for (let round = 0; round < 20; round++) {
        const collection = `race${round}`;
        await store.createCollection(collection, { dimension: 4 });
        await db.dropTable(`${collection}__shards`);
        const keys = Array.from({ length: 6 }, (_, i) => `k-${round}-${i}`);
        await Promise.all(keys.map((key) => store.recordShard(collection, key, 10)));
        assert.deepEqual([...(await store.completedShards(collection)).keys()].sort(), keys, `round ${round}`);
      }
    }));
  test('workers recording at once never fail a record on the ledger upkeep, and the ledger stays compact', async () => {
    // Each process compacted the ledger after every 100 of its own records, so W processes compacted it
    // W times per 100 records, at the same moments; one's cleanup deleted versions the other's compaction
    // was reading ("Object at location .../_versions/... not found"), and that record's shard failed and
    // was redone. Versions older than 0 ms go at each compaction here, to make such races likely: the
    // old code failed this test on its first run.
    const uri = mkdtempSync(join(tmpdir(), 'embedline-ledger-'));
    const errors: unknown[] = [];
    const options = { uri, ingestVersionAgeMs: 0, onCompactionError: (_: string, error: unknown) => errors.push(error) };
    const stores = [new LanceDbStore(options), new LanceDbStore(options)];
    try {
      await stores[0]!.createCollection('docs', { dimension: 4 });
      const perLane = 150;
      const lanes = stores.flatMap((store, s) =>
        [0, 1].map(async (lane) => {
          for (let i = 0; i < perLane; i++) await store.recordShard('docs', `s${s}-l${lane}-${i}`, 1);
        }),
      );
      await Promise.all(lanes);
      assert.equal((await stores[0]!.completedShards('docs')).size, 4 * perLane);
      assert.deepEqual(errors, [], 'a lost race is not an error');
      const db = await connect(uri);
      const ledger = await db.openTable('docs__shards');
      const { numFragments } = (await ledger.stats()).fragmentStats;
      ledger.close();
      db.close();
      assert.ok(numFragments <= 200, `${numFragments} ledger fragments after 600 records`);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      // LanceDB may still be deleting old versions' files as the stores close.
      rmSync(uri, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});

describe('LanceDB reads racing another process', () => {
  test("opening a collection whose latest version another process's compaction just deleted reads the newer one", async () => {
    const uri = mkdtempSync(join(tmpdir(), 'lancedb-open-race-'));
    const writer = new LanceDbStore({ uri });
    const reader = new LanceDbStore({ uri });
    const db = await connect(uri);
    // Every connection's openTable: the first call meets the race (Lance's own words for it), the rest open.
    const connections = Object.getPrototypeOf(db) as { openTable: (...args: unknown[]) => Promise<unknown> };
    const openTable = connections.openTable;
    let opens = 0;
    connections.openTable = async function (this: unknown, ...args: unknown[]) {
      if (opens++ === 0) {
        throw new Error(
          `lance error: Dataset at path ${uri}/docs.lance/_versions/18446744073709551613.manifest was not found: Not found`,
        );
      }
      return openTable.apply(this, args);
    };
    try {
      await writer.createCollection('docs', { dimension: 4 });
      const ids = ['1', '2', '3'];
      await writer.upsert('docs', toRecordBatch({ ids, vectors: randomUnitVectors(3, 4, 1), dimension: 4, texts: ids }));
      opens = 0;
      assert.equal(await reader.count('docs'), 3);
      assert.equal(opens, 2, 'opened again after the race');
    } finally {
      connections.openTable = openTable;
      await Promise.all([writer.close(), reader.close()]);
      db.close();
      rmSync(uri, { recursive: true, force: true });
    }
  });
});

describe('LanceDB connection replacement', () => {
  /** Writes shard `shard` of 10 rows (ids shard*10 ...) as a first write. */
  function writeShard(store: LanceDbStore, shard: number) {
    const ids = Array.from({ length: 10 }, (_, i) => String(shard * 10 + i));
    return store.upsert('docs', toRecordBatch({ ids, vectors: randomUnitVectors(10, 4, shard), dimension: 4, texts: ids }), {
      firstWrite: true,
    });
  }

  test('after connectionCommits commits the connection is replaced, and a scan begun before reads on to its end', async () => {
    const uri = mkdtempSync(join(tmpdir(), 'lancedb-recycle-'));
    const store = new LanceDbStore({ uri, connectionCommits: 5 });
    try {
      await store.createCollection('docs', { dimension: 4 });
      for (let shard = 0; shard < 3; shard++) await writeShard(store, shard);
      // A scan keeps the connection it began on; later calls get a new one, and the old one closes
      // when the scan ends.
      const scan = store.scan('docs')[Symbol.asyncIterator]();
      const first = await scan.next();
      assert.equal(first.done, false);
      assert.ok(first.value!.ids.length < 30, 'the scan has batches left to read after the swaps');
      for (let shard = 3; shard < 15; shard++) {
        await writeShard(store, shard);
        await store.recordShard('docs', `shard-${shard}`, 10);
      }
      assert.ok(store.connectionsReplaced >= 3, `replaced ${store.connectionsReplaced} times under the scan`);
      let scanned = first.value!.ids.length;
      for (let step = await scan.next(); !step.done; step = await scan.next()) scanned += step.value.ids.length;
      assert.equal(scanned, 30, 'the scan read its whole version');
      // Nothing lost across the replacements, and every call still works.
      assert.equal(await store.count('docs'), 150);
      assert.equal((await store.completedShards('docs')).size, 12);
      assert.equal((await store.search('docs', randomUnitVectors(1, 4, 99), { topK: 3 })).length, 3);
    } finally {
      await store.close();
      rmSync(uri, { recursive: true, force: true });
    }
  });

  test('a store that is never idle (two shards in flight at all times) still replaces its connection', async () => {
    // LanceDB holds native memory per commit until the connection closes. The connection was replaced
    // only when no call ran, and a worker with two shards in flight, each writing as the other records,
    // was never idle: its memory grew with every commit (bench/store/two-writer-probe.ts: 458 MiB after
    // 900 shards, 233 MiB with one shard in flight and so idle moments).
    const uri = mkdtempSync(join(tmpdir(), 'lancedb-recycle-'));
    const store = new LanceDbStore({ uri, connectionCommits: 5 });
    try {
      await store.createCollection('docs', { dimension: 4 });
      let next = 0;
      let busy = 0;
      let idleMoments = 0;
      const lane = async () => {
        for (let shard = next++; shard < 30; shard = next++) {
          busy += 1;
          await writeShard(store, shard);
          await store.recordShard('docs', `shard-${shard}`, 10);
          busy -= 1;
          if (busy === 0) idleMoments += 1;
        }
      };
      // One long call holds the store busy the whole time, as the other lane's write would.
      const scan = store.scan('docs')[Symbol.asyncIterator]();
      await scan.next();
      await Promise.all([lane(), lane()]);
      await scan.return?.(undefined);
      assert.ok(store.connectionsReplaced >= 5, `replaced ${store.connectionsReplaced} times (${idleMoments} idle)`);
      assert.equal(await store.count('docs'), 300);
      assert.equal((await store.completedShards('docs')).size, 30);
    } finally {
      await store.close();
      rmSync(uri, { recursive: true, force: true });
    }
  });
});
