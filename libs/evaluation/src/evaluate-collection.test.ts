import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readQueries, readTrecDocuments, type CorpusRecord } from '@embedline/corpus';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { parseQrels, parseRun, rankDocuments, recallAtK } from '@embedline/scoring';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
import {
  checkEvaluationInputs,
  evaluateChecked,
  evaluateCollection,
  type EvaluateCollectionOptions,
} from './evaluate-collection.ts';
import { EvaluationInputError } from './errors/evaluation-input-error.ts';
import { formatReport } from './format-report.ts';
import { loadQrels } from './load-qrels.ts';
import { queryCoverage, reportedMetrics } from './metrics.ts';

const VASWANI = new URL('../../../data/vaswani/', import.meta.url).pathname;
const DOCS = 500;
const dir = mkdtempSync(join(tmpdir(), 'embedline-evaluation-'));
const store = new LanceDbStore({ uri: join(dir, 'lancedb') });
let encoder: Encoder;
let docIds: string[];
let docTexts: string[];

/** The first 500 Vaswani abstracts, embedded with the tiny reference model (rankings mean nothing; plumbing is what is tested). */
before(async () => {
  encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR }, { info: () => {}, warn: () => {} });
  const records: CorpusRecord[] = [];
  for await (const result of readTrecDocuments(join(VASWANI, 'doc-text.trec'))) {
    if (result.ok) records.push(result.record);
    if (records.length === DOCS) break;
  }
  docIds = records.map((r) => r.id);
  docTexts = records.map((r) => r.text);
  const { vectors, dimension } = await encoder.encode(records.map((r) => r.text));
  await store.createCollection('small', { dimension });
  await store.upsert(
    'small',
    toRecordBatch({ ids: docIds, vectors, dimension, texts: records.map((r) => r.text) }),
  );
  await store.createCollection('other-model', { dimension: dimension * 2 });
  await store.upsert(
    'other-model',
    toRecordBatch({
      ids: ['1'],
      vectors: new Float32Array(dimension * 2).fill(0.1),
      dimension: dimension * 2,
      texts: ['x'],
    }),
  );
  await store.createCollection('empty', { dimension });
});

after(async () => {
  await encoder?.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<EvaluateCollectionOptions>): EvaluateCollectionOptions {
  return {
    store,
    collection: 'small',
    encoder,
    queries: [
      { id: 'q1', text: 'dielectric constant of liquids', line: 1 },
      { id: 'q2', text: 'analogue computer for linear equations', line: 2 },
      { id: 'q3', text: 'a query nobody judged', line: 3 },
    ],
    qrels: parseQrels('q1 0 1 2\nq1 0 2 1\nq1 0 9999 1\nq2 0 2 1\nq2 0 3 0\nq4 0 5 1\n'),
    topK: 1000,
    ...overrides,
  };
}

async function inputProblem(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EvaluationInputError, String(error));
    return error.message;
  }
  assert.fail('expected an EvaluationInputError');
}

describe('evaluateCollection', () => {
  test("the run file holds every query, and the metrics are libs/scoring's on that file", async () => {
    const runPath = join(dir, 'runs', 'small.run'); // a folder that does not exist yet: created
    const report = await evaluateCollection(options({ runPath, tag: 'small-test', annRecall: {} }));
    const run = parseRun(readFileSync(runPath, 'utf8'));
    assert.deepEqual([...run.keys()], ['q1', 'q2', 'q3']);
    for (const docs of run.values()) {
      assert.equal(docs.size, DOCS, 'a collection smaller than top-k gives all of it');
      for (const id of docs.keys()) assert.ok(docIds.includes(id));
    }
    assert.equal(report.hits, 3 * DOCS);
    assert.ok(!existsSync(`${runPath}.partial`));
    const qrels = options({}).qrels;
    assert.deepEqual(
      report.metrics.find((m) => m.name === 'Recall@1000')!.result,
      recallAtK(qrels, run, 1000),
    );
    // q1's document 9999 is not in the collection: recall 2/3 at any depth; q2's only relevant one is found.
    assert.equal(recallAtK(qrels, run, 1000).perQuery.get('q1'), 2 / 3);
    assert.deepEqual(report.coverage, { judged: ['q1', 'q2'], unjudged: ['q3'], missingFromQueries: ['q4'] });
    // Judged hits: q1's 1 and 2 (9999 is not stored), q2's 2 and 3 (graded 0, but judged).
    assert.equal(report.judgedHits, 4);
    assert.doesNotMatch(formatReport(report).join('\n'), /WARNING: none of the run/);
    // No ANN index below 10,000 rows: the store searches exactly, and agrees with libs/scoring.
    assert.equal(report.annRecall!.mean, 1);
    assert.equal(report.annRecall!.perQuery.size, 3);
  });

  test('judgedOnly searches only the judged queries (BEIR: queries.jsonl holds every split); else a hint', async () => {
    let encoded = 0;
    const counting = {
      encode: (texts: string[]) => {
        encoded += texts.length;
        return encoder.encode(texts);
      },
    };
    const queries = [
      ...options({}).queries,
      { id: 'q5', text: 'another unjudged query', line: 4 },
      { id: 'q6', text: 'and a third', line: 5 },
    ];
    const runPath = join(dir, 'judged.run');
    const messages: string[] = [];
    const report = await evaluateCollection(
      options({ encoder: counting, queries, judgedOnly: true, runPath, onProgress: (m) => messages.push(m) }),
    );
    assert.equal(encoded, 2);
    assert.deepEqual([...parseRun(readFileSync(runPath, 'utf8')).keys()], ['q1', 'q2']);
    assert.equal(report.queries, 2);
    assert.deepEqual(report.coverage.unjudged, ['q3', 'q5', 'q6']);
    assert.match(
      formatReport(report).join('\n'),
      /^not scored: 3 queries without a relevant judgement in the qrels \(not searched: --judged-only\): q3, q5, q6$/m,
    );
    assert.ok(!messages.some((m) => m.includes('have no relevant judgement')));

    const all = await evaluateCollection(options({ queries, topK: 10, onProgress: (m) => messages.push(m) }));
    assert.equal(all.queries, 5);
    assert.ok(
      messages.includes(
        '3 of the 5 queries have no relevant judgement: they are searched and written to the run, but not scored (judgedOnly / --judged-only skips them)',
      ),
    );
  });

  test('without a run path nothing is written; ANN recall on the first n queries via the store', async () => {
    const report = await evaluateCollection(options({ topK: 10, annRecall: { queries: 2, via: 'store' } }));
    assert.equal(report.hits, 30);
    assert.deepEqual([...report.annRecall!.perQuery.keys()], ['q1', 'q2']);
    assert.equal(report.metrics.find((m) => m.name === 'Recall@100')!.result, undefined);
  });

  test('input problems are named: missing or empty collection, another model, unrelated qrels', async () => {
    assert.equal(
      await inputProblem(evaluateCollection(options({ collection: 'missing' }))),
      `collection "missing": not found in the LanceDB store at ${join(dir, 'lancedb')} (EMBEDLINE_LANCEDB_DIR), which has: empty, other-model, small; ingest it first`,
    );
    assert.equal(
      await inputProblem(evaluateCollection(options({ collection: 'empty' }))),
      'collection "empty": is empty; ingest it first',
    );
    const otherModel =
      /^collection "other-model": holds 128-d vectors, but the encoder gives 64-d ones: it was embedded with another model$/;
    assert.match(await inputProblem(evaluateCollection(options({ collection: 'other-model' }))), otherModel);
    // Before any query is encoded when the encoder can say its dimension; after, when it cannot.
    let encoded = 0;
    const counting = (texts: string[]) => {
      encoded += texts.length;
      return encoder.encode(texts);
    };
    const describing = { encode: counting, describe: () => encoder.describe() };
    assert.match(
      await inputProblem(evaluateCollection(options({ collection: 'other-model', encoder: describing }))),
      otherModel,
    );
    assert.equal(encoded, 0);
    assert.match(
      await inputProblem(
        evaluateCollection(options({ collection: 'other-model', encoder: { encode: counting } })),
      ),
      otherModel,
    );
    assert.equal(encoded, 3);
    assert.equal(
      await inputProblem(
        evaluateCollection(
          options({ qrels: parseQrels('x 0 1 1\n'), sources: { queries: 'q.tsv', qrels: 'qrels.txt' } }),
        ),
      ),
      'q.tsv and qrels.txt: none of the 3 queries has a relevant judgement in the qrels: do these files belong together?',
    );
  });

  test('the tag, the run path and the collection are checked before anything is encoded', async () => {
    let encoded = 0;
    const counting = {
      encode: (texts: string[]) => {
        encoded += texts.length;
        return encoder.encode(texts);
      },
    };
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const inTheWay = join(dir, 'a-file');
    writeFileSync(inTheWay, '');
    const qrelsPath = join(dir, 'kept.qrels');
    writeFileSync(qrelsPath, 'q1 0 1 1\n');
    const sources = { queries: 'queries.tsv', qrels: qrelsPath };
    const cases: [Partial<EvaluateCollectionOptions>, string][] = [
      [
        { tag: 'my run' },
        'run tag "my run": is empty or contains whitespace: it is the run file\'s last column',
      ],
      [{ runPath: folder }, `${folder}: is a folder: name the run file (e.g. --run <folder>/run.trec)`],
      [
        { runPath: join(inTheWay, 'x.run') },
        `${join(inTheWay, 'x.run')}: cannot create its folder ${inTheWay} (a file is in the way of a folder)`,
      ],
      [
        { runPath: '/dev/null' },
        '/dev/null: is not a regular file (a device or a pipe?): the run is written to a file, then renamed',
      ],
      [{ runPath: qrelsPath, sources }, `${qrelsPath}: is the qrels file: the run would overwrite it`],
      [
        { runPath: `${dir}/./kept.qrels`, sources },
        `${dir}/./kept.qrels: is the qrels file: the run would overwrite it`,
      ],
      [
        { collection: 'missing', runPath: join(dir, 'fine.run') },
        `collection "missing": not found in the LanceDB store at ${join(dir, 'lancedb')} (EMBEDLINE_LANCEDB_DIR), which has: empty, other-model, small; ingest it first`,
      ],
    ];
    for (const [overrides, message] of cases) {
      assert.equal(
        await inputProblem(evaluateCollection(options({ encoder: counting, ...overrides }))),
        message,
      );
      assert.equal(await inputProblem(checkEvaluationInputs(options(overrides))), message);
    }
    assert.equal(encoded, 0, 'nothing was encoded');
    assert.equal(readFileSync(qrelsPath, 'utf8'), 'q1 0 1 1\n', 'the qrels are intact');
    assert.ok(!existsSync(join(dir, 'fine.run')) && !existsSync(join(dir, 'fine.run.partial')));
  });

  test('evaluateChecked runs checked inputs without checking them again: the store is asked once', async () => {
    let described = 0;
    const counting = new Proxy(store, {
      get(target, key) {
        if (key === 'describe') described++;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { encoder: checkedEncoder, ...inputs } = options({ store: counting, topK: 10 });
    const checked = await checkEvaluationInputs(inputs);
    const report = await evaluateChecked(checked, checkedEncoder);
    assert.equal(described, 1);
    assert.deepEqual(report, await evaluateCollection(options({ topK: 10 })));
  });

  test('a document stored twice (before finalize) is listed once in the run, and the copies are reported', async () => {
    const ids = docIds.slice(0, 3);
    const { vectors, dimension } = await encoder.encode(['first', 'second', 'third']);
    const batch = () => toRecordBatch({ ids, vectors, dimension, texts: ids });
    await store.createCollection('twice', { dimension });
    // A wrong firstWrite claim (e.g. after Redis lost the ingest's manifest) appends a second copy.
    await store.upsert('twice', batch(), { firstWrite: true });
    await store.upsert('twice', batch(), { firstWrite: true });
    assert.equal(await store.count('twice'), 6);
    const runPath = join(dir, 'twice.run');
    const report = await evaluateCollection(
      options({ collection: 'twice', qrels: parseQrels(`q1 0 ${ids[0]} 1\n`), runPath, topK: 10 }),
    );
    const run = parseRun(readFileSync(runPath, 'utf8'));
    for (const docs of run.values()) assert.deepEqual([...docs.keys()].sort(), [...ids].sort());
    assert.equal(report.hits, 9);
    assert.equal(report.repeatedHits, 9);
    assert.match(
      formatReport(report).join('\n'),
      /^WARNING: 9 hits were copies of a document already among/m,
    );
  });

  test('a collection not found names the store folder in full: the default one is relative to the current folder', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const empty = new LanceDbStore({ uri: relative(process.cwd(), elsewhere) });
    try {
      assert.equal(
        await inputProblem(checkEvaluationInputs(options({ store: empty }))),
        `collection "small": not found in the LanceDB store at ${elsewhere} (EMBEDLINE_LANCEDB_DIR), which has no collections; ingest it first`,
      );
    } finally {
      await empty.close();
    }
  });

  test('qrels that judge none of the hits (another corpus, other ids) are flagged', async () => {
    const report = await evaluateCollection(
      options({ qrels: parseQrels('q1 0 MED-1 1\nq2 0 MED-2 1\n'), topK: 10 }),
    );
    assert.equal(report.judgedHits, 0);
    assert.equal(report.metrics.find((m) => m.name === 'MRR@10')!.result!.mean, 0);
    assert.match(
      formatReport(report).join('\n'),
      /^WARNING: none of the run's 30 hits is a document the qrels judge for its query: unless the search is that poor, the collection holds another corpus than the qrels judge, or other document ids$/m,
    );
  });

  test("ignoreIdenticalIds leaves a query's own document out of its run, as BEIR evaluates (ArguAna, Quora)", async () => {
    // The query is stored under its own id (BEIR's Quora): its own text is its best hit.
    const own = docIds[5]!;
    const queries = [{ id: own, text: docTexts[5]!, line: 1 }];
    const qrels = parseQrels(`${own} 0 ${docIds[7]} 1\n`);
    const plain = await evaluateCollection(
      options({ queries, qrels, topK: 10, runPath: join(dir, 'own.run') }),
    );
    const run = parseRun(readFileSync(join(dir, 'own.run'), 'utf8')).get(own)!;
    assert.equal(rankDocuments(run)[0], own);
    assert.equal(plain.identicalHits, undefined);

    const runPath = join(dir, 'ignored.run');
    const ignoring = await evaluateCollection(
      options({ queries, qrels, topK: 10, runPath, ignoreIdenticalIds: true, annRecall: {} }),
    );
    const ignored = parseRun(readFileSync(runPath, 'utf8')).get(own)!;
    assert.ok(!ignored.has(own));
    assert.equal(ignored.size, 10, 'still 10 hits');
    assert.deepEqual(rankDocuments(ignored).slice(0, 9), rankDocuments(run).slice(1));
    assert.equal(ignoring.identicalHits, 1);
    assert.equal(ignoring.annRecall!.mean, 1, 'the ANN check compares the search itself');
    assert.match(
      formatReport(ignoring).join('\n'),
      /^left out: 1 hits whose id is their query's id \(--ignore-identical-ids, as BEIR evaluates\)$/m,
    );
  });

  test('a failed search leaves no run file behind', async () => {
    const runPath = join(dir, 'failed.run');
    await assert.rejects(evaluateCollection(options({ runPath, topK: -1 })));
    assert.ok(!existsSync(runPath) && !existsSync(`${runPath}.partial`));
  });

  test('the bundled Vaswani queries and qrels belong together', async () => {
    const queries = await readQueries(join(VASWANI, 'query-text.trec'));
    const { qrels, summary } = await loadQrels(join(VASWANI, 'qrels'));
    assert.deepEqual(summary, { format: 'trec', judgements: 2083, queriesWithRelevant: 93 });
    const coverage = queryCoverage(
      queries.map((q) => q.id),
      qrels,
    );
    assert.equal(coverage.judged.length, 93);
    assert.equal(coverage.unjudged.length + coverage.missingFromQueries.length, 0);
  });
});

describe('loadQrels', () => {
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('TREC and BEIR qrels', async () => {
    const trec = await loadQrels(file('t.qrels', '1 0 d1 2\n1 0 d2 0\n2 0 d1 0\n'));
    assert.deepEqual(trec.summary, { format: 'trec', judgements: 3, queriesWithRelevant: 1 });
    const gzipped = join(dir, 'qrels.tsv.gz');
    writeFileSync(gzipped, gzipSync('1 0 d1 2\n1 0 d2 0\n2 0 d1 0\n'));
    assert.deepEqual(await loadQrels(gzipped), trec);
    const beir = await loadQrels(file('test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\n'));
    assert.deepEqual(beir.summary, { format: 'beir', judgements: 1, queriesWithRelevant: 1 });
    assert.deepEqual(beir.qrels, new Map([['q1', new Map([['d1', 1]])]]));
  });

  test('problems name the file, and the line', async () => {
    const missing = join(dir, 'nope.qrels');
    assert.equal(await inputProblem(loadQrels(missing)), `${missing}: no such file`);
    const bad = file('bad.qrels', '1 0 d1 1\n1 0 d2 x\n');
    assert.equal(await inputProblem(loadQrels(bad)), `${bad}: qrels line 2: relevance "x" is not an integer`);
    const headless = file('headless.tsv', 'q1\td1\t1\n');
    assert.equal(
      await inputProblem(loadQrels(headless)),
      `${headless}: qrels line 1: expected 4 fields "qid iter docid rel", got 3 (a BEIR qrels file starts with the header "query-id corpus-id score"; TREC qrels have 4 columns)`,
    );
    const oneBad = file('one-bad.qrels', '1 0 d1 1\n1 0 d2\n');
    assert.equal(
      await inputProblem(loadQrels(oneBad)),
      `${oneBad}: qrels line 2: expected 4 fields "qid iter docid rel", got 3`,
      'one bad line of a TREC file: no hint about BEIR',
    );
    const brokenGzip = join(dir, 'broken.qrels.gz');
    writeFileSync(brokenGzip, Buffer.from([0x1f, 0x8b, 0x20, 0x0a]));
    assert.equal(
      await inputProblem(loadQrels(brokenGzip)),
      `${brokenGzip}: not a readable gzip file (unknown compression method)`,
    );
    assert.equal(await inputProblem(loadQrels(dir)), `${dir}: is a folder, not a file`);
    const gzipNamed = file('plain.qrels.gz', '1 0 d1 1\n');
    assert.equal((await loadQrels(gzipNamed)).summary.judgements, 1, 'gunzipped by its bytes, not its name');
    const none = file('none.qrels', '1 0 d1 0\n');
    assert.equal(
      await inputProblem(loadQrels(none)),
      `${none}: no query has a relevant judgement (relevance > 0): nothing to evaluate`,
    );
  });
});

describe('reportedMetrics', () => {
  test('a relevance level above 1 binarizes MRR and Recall only, as trec_eval -l does', () => {
    const qrels = parseQrels('q 0 a 1\nq 0 b 2\nr 0 c 1\n');
    const run = parseRun('q Q0 a 1 0.9 t\nq Q0 b 2 0.8 t\nr Q0 c 1 0.9 t\n');
    const at = (level: number) =>
      Object.fromEntries(reportedMetrics(qrels, run, 100, level).map((m) => [m.name, m.result?.perQuery]));
    assert.deepEqual(
      at(1)['MRR@10'],
      new Map([
        ['q', 1],
        ['r', 1],
      ]),
    );
    // At level 2, q's first relevant document is b (rank 2), and r has none left: not scored.
    assert.deepEqual(at(2)['MRR@10'], new Map([['q', 0.5]]));
    assert.deepEqual(at(2)['Recall@100'], new Map([['q', 1]]));
    assert.deepEqual(at(2)['nDCG@10'], at(1)['nDCG@10']);
    assert.throws(() => reportedMetrics(qrels, run, 100, 3), /no judgement reaches relevance level 3/);
    assert.throws(() => reportedMetrics(qrels, run, 100, 0), /relevance level must be an integer >= 1/);
  });

  test('a metric deeper than the run is not reported rather than misnamed', () => {
    const qrels = parseQrels('q 0 a 1\n');
    const run = parseRun('q Q0 a 1 0.5 t\n');
    const byName = Object.fromEntries(reportedMetrics(qrels, run, 100).map((m) => [m.name, m.result?.mean]));
    assert.deepEqual(byName, { 'MRR@10': 1, 'nDCG@10': 1, 'Recall@100': 1, 'Recall@1000': undefined });
  });
});
