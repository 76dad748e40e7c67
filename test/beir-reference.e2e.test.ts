/**
 * Our BEIR figures equal BEIR's own, end to end. `test/fixtures/beir-synthetic/` is a small BEIR dataset
 * (Vaswani abstracts with made-up titles, some missing, empty or blank; graded qrels with BEIR's header) and
 * `reference.json` holds what BEIR 2.2.0 computes for it with the tiny fixture model: `SentenceBERT`
 * (`(title + " " + text).strip()`), `DenseRetrievalExactSearch` (cos_sim, top 1000), `EvaluateRetrieval.evaluate`
 * (pytrec_eval, identical ids ignored), per query (tools/reference/make_beir_fixture.py writes it).
 *
 * Here the corpus goes through the real pipeline (the producer's ingestCorpus, BullMQ shard workers in this
 * process on a private redis-server, the ONNX encoder, LanceDB) with `titleField: 'title'`, and is evaluated
 * as `embedline eval --judged-only --ignore-identical-ids --exact --top-k 1000` evaluates it: every query's
 * MRR@10, nDCG@10, Recall@100 and Recall@1000 must equal BEIR's to 1e-6, means too. The dataset plants
 * exact score ties (two documents whose embedded text is their query's) decided by trec_eval's tie rule
 * (docid descending as strings), and a document under its query's own id. Ingested without the title field,
 * the figures are BEIR's for the text alone, and differ from the titled ones.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { readQueries, type Query } from '@embedline/corpus';
import type { Encoder } from '@embedline/encoder';
import { evaluateCollection, loadQrels, type EvaluationReport } from '@embedline/evaluation';
import { rankDocuments, type Qrels } from '@embedline/scoring';
import { LanceDbStore } from '@embedline/store';
import { InProcessPipeline } from './support/in-process-pipeline.ts';
import type { PrivateRedis } from './support/private-redis.ts';
import { readAllPoints } from './support/stored-points.ts';
import { disposeSuiteResources, startSuiteResources } from './support/suite-resources.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/beir-synthetic/', import.meta.url));
const METRICS = ['MRR@10', 'nDCG@10', 'Recall@100', 'Recall@1000'] as const;
type Metric = (typeof METRICS)[number];
type Figures = Record<Metric, number>;

interface ReferenceRun {
  readonly per_query: Record<string, Figures>;
  readonly mean_over_judged: Figures;
  readonly beir_printed: {
    readonly 'NDCG@10': number;
    readonly over_queries: number;
  };
  readonly top10: Record<string, [string, number][]>;
  /** BEIR's exact search at top_k 1: the one document each query keeps. */
  readonly top1: Record<string, string>;
}

interface Reference {
  readonly top_k: number;
  readonly zero_only_query: string;
  readonly unjudged_queries: string[];
  readonly tie_pairs: { query: string; first: string; second: string }[];
  readonly identical_id_query: string;
  readonly titled: ReferenceRun;
  readonly untitled: ReferenceRun;
}

const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference;
const TOLERANCE = 1e-6;

describe(
  'BEIR figures: ours equal BEIR 2.2.0 + pytrec_eval on a synthetic dataset',
  { timeout: 300_000 },
  () => {
    let redis: PrivateRedis;
    let dir: string;
    let encoder: Encoder;
    let pipeline: InProcessPipeline;
    let store: LanceDbStore;
    let queries: Query[];
    let qrels: Qrels;

    before(async () => {
      ({ redis, dir, encoder } = await startSuiteResources('beir-reference'));
      store = new LanceDbStore({ uri: join(dir, 'lancedb') });
      pipeline = new InProcessPipeline(redis.url);
      pipeline.startWorkers({ encoder, store, concurrency: 2 });
      queries = await readQueries(join(FIXTURE, 'queries.jsonl'));
      ({ qrels } = await loadQrels(join(FIXTURE, 'qrels/test.tsv')));
    });
    after(async () => {
      await pipeline.close();
      await store.close();
      await disposeSuiteResources({ redis, dir, encoder });
    });

    async function ingestAndEvaluate(collection: string, titleField?: string): Promise<EvaluationReport> {
      const summary = await pipeline.ingest({
        corpus: join(FIXTURE, 'corpus.jsonl'),
        collection,
        titleField,
        shardSize: 64,
        store,
      });
      assert.equal(summary.acceptedRecords, 400);
      assert.equal(summary.rejectedRecords, 0);
      await pipeline.waitForStatus(collection, 'finalized', (s) => s.state === 'finalized');
      return evaluateCollection({
        store,
        collection,
        encoder,
        queries,
        qrels,
        topK: reference.top_k,
        exact: true,
        judgedOnly: true,
        ignoreIdenticalIds: true,
        runPath: join(dir, `${collection}.run`),
      });
    }

    /** Each judged query's first 10 in the run file, as trec_eval ranks them, against BEIR's: same ids, scores within 1e-5. */
    function assertSameTop10(collection: string, expected: ReferenceRun): void {
      const run = new Map<string, Map<string, number>>();
      for (const line of readFileSync(join(dir, `${collection}.run`), 'utf8')
        .trim()
        .split('\n')) {
        const [qid, , docid, , score] = line.split(' ');
        if (!run.has(qid!)) run.set(qid!, new Map());
        run.get(qid!)!.set(docid!, Number(score));
      }
      for (const [qid, top] of Object.entries(expected.top10)) {
        if (qid === reference.zero_only_query) continue; // not searched: --judged-only
        const ours = rankDocuments(run.get(qid)!, qid).slice(0, 10);
        assert.deepEqual(
          ours,
          top.map(([id]) => id),
          `${collection}: query ${qid}'s top 10`,
        );
        top.forEach(([id, score]) =>
          assert.ok(
            Math.abs(run.get(qid)!.get(id)! - score) <= 1e-5,
            `${collection}: query ${qid} ${id} score`,
          ),
        );
      }
    }

    function perQuery(report: EvaluationReport, metric: Metric): ReadonlyMap<string, number> {
      const result = report.metrics.find((m) => m.name === metric)?.result;
      assert.ok(result, `${metric} is reported`);
      return result.perQuery;
    }

    /** Every query's figures and the means equal the reference's. */
    function assertEqualFigures(report: EvaluationReport, expected: ReferenceRun, label: string): void {
      const judged = Object.keys(expected.per_query).filter((q) => q !== reference.zero_only_query);
      for (const metric of METRICS) {
        const ours = perQuery(report, metric);
        assert.deepEqual(
          [...ours.keys()].sort(),
          [...judged].sort(),
          `${label} ${metric}: the scored queries`,
        );
        for (const qid of judged) {
          const diff = Math.abs(ours.get(qid)! - expected.per_query[qid]![metric]);
          assert.ok(
            diff <= TOLERANCE,
            `${label}: query ${qid} ${metric} is ${ours.get(qid)}, BEIR's ${expected.per_query[qid]![metric]}`,
          );
        }
        const mean = report.metrics.find((m) => m.name === metric)!.result!.mean;
        assert.ok(
          Math.abs(mean - expected.mean_over_judged[metric]) <= TOLERANCE,
          `${label}: mean ${metric} ${mean}, BEIR's ${expected.mean_over_judged[metric]}`,
        );
      }
    }

    let titled: EvaluationReport;

    test('ingested with titleField "title": every query\'s figures are BEIR\'s', async () => {
      titled = await ingestAndEvaluate('beir-titled', 'title');
      assert.equal(titled.queries, 30, '--judged-only: the 30 queries with a relevant judgement');
      assert.equal(titled.identicalHits, 1, "the document under its query's id is left out, as BEIR does");
      assertEqualFigures(titled, reference.titled, 'titled');
      assertSameTop10('beir-titled', reference.titled);
    });

    test('the planted ties are exact in our store too, and ranked by docid descending (trec_eval, BEIR)', async () => {
      const { vectors } = await readAllPoints(store, 'beir-titled');
      for (const { query, first, second } of reference.tie_pairs) {
        assert.deepEqual(
          vectors.get(first),
          vectors.get(second),
          `${first} and ${second} embed the same text`,
        );
        // The relevant one ranks second: reciprocal rank 1/2 under the docid-descending rule, 1 under any other.
        assert.equal(
          perQuery(titled, 'MRR@10').get(query),
          0.5,
          `query ${query}: ${first} ranks before ${second}`,
        );
        assert.deepEqual(
          reference.titled.top10[query]!.slice(0, 2).map(([id]) => id),
          [first, second],
        );
      }
    });

    test('at the cut, a tie group is settled as BEIR keeps it and trec_eval ranks it (docid descending), not by point id', async () => {
      // Depth 1: query 4's tied pair is 3000001 and 20001. The store settles a tie at its cut by point id
      // (numeric ids ascending: 20001); BEIR's exact search keeps 3000001, which trec_eval ranks first.
      const report = await evaluateCollection({
        store,
        collection: 'beir-titled',
        encoder,
        queries,
        qrels,
        topK: 1,
        exact: true,
        judgedOnly: true,
        ignoreIdenticalIds: true,
        runPath: join(dir, 'beir-titled-top1.run'),
      });
      assert.equal(report.hits, 30);
      const kept = new Map(
        readFileSync(join(dir, 'beir-titled-top1.run'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' '))
          .map(([qid, , docid]) => [qid!, docid!]),
      );
      for (const qid of perQuery(titled, 'MRR@10').keys())
        assert.equal(kept.get(qid), reference.titled.top1[qid], `query ${qid}: the document kept at depth 1`);
      for (const { query, first } of reference.tie_pairs) assert.equal(kept.get(query), first);
    });

    test("BEIR's printed mean also counts the query judged with grade 0 only (as 0): ours leaves it out", () => {
      // BEIR evaluates every query of qrels/test.tsv; a query with no relevant judgement scores 0 in its mean.
      // eval (--judged-only) scores only queries with a relevant judgement, so BEIR's figure is ours x 30/31.
      const { beir_printed } = reference.titled;
      const ours = titled.metrics.find((m) => m.name === 'nDCG@10')!.result!.mean;
      assert.equal(beir_printed.over_queries, 31);
      assert.ok(Math.abs((ours * 30) / 31 - beir_printed['NDCG@10']) <= 5e-6);
      assert.deepEqual(
        titled.coverage.unjudged,
        [...reference.unjudged_queries, reference.zero_only_query].sort(byNumber),
      );
    });

    test("ingested without the title field: BEIR's figures for the text alone, not the titled ones", async () => {
      const untitled = await ingestAndEvaluate('beir-untitled');
      assertEqualFigures(untitled, reference.untitled, 'untitled');
      assertSameTop10('beir-untitled', reference.untitled);
      const changed = Object.keys(reference.titled.per_query).filter((qid) =>
        METRICS.some(
          (m) =>
            Math.abs(reference.titled.per_query[qid]![m] - reference.untitled.per_query[qid]![m]) > TOLERANCE,
        ),
      );
      assert.ok(changed.length >= 5, `titles change the figures of several queries (${changed.length})`);
      assert.throws(() => assertEqualFigures(untitled, reference.titled, 'untitled vs titled'));
    });
  },
);

function byNumber(a: string, b: string): number {
  return Number(a) - Number(b);
}
