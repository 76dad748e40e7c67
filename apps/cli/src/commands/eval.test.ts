import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadEnv, type EmbedlineEnv } from '@embedline/config';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import type { EvaluationReport } from '@embedline/evaluation';
import { embedShard, finalizeIngest, fingerprintCorpus, planShards } from '@embedline/pipeline';
import { mrrAtK, ndcgAtK, readQrels, readRun, recallAtK } from '@embedline/scoring';
import { LanceDbStore, openStore } from '@embedline/store';
import { runNode, type ProcessResult } from '@embedline/testing';
import { runEval, type EvalFlags, type EvalOutput } from './eval.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VASWANI = join(REPO_ROOT, 'data/vaswani');
const COLLECTION = 'vaswani';
const dir = mkdtempSync(join(tmpdir(), 'embedline-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The tiny reference model has random weights: the figures mean nothing, so the tests check the
// plumbing (ids, run file, metrics, recall), never retrieval quality.
const ENV_VARS = {
  EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
  EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
  LOG_LEVEL: 'warn',
};
const env: EmbedlineEnv = loadEnv(ENV_VARS);
const quiet = { info: () => {}, warn: () => {} };

/** Embeds the Vaswani corpus into the store through the pipeline's own steps (plan, embed each shard, finalize), without a queue. */
async function ingestVaswani(): Promise<number> {
  const corpus = join(VASWANI, 'doc-text.trec');
  const encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR }, quiet);
  const store = await openStore(env);
  try {
    await store.createCollection(COLLECTION, { dimension: encoder.describe().dimension });
    const fingerprint = await fingerprintCorpus(corpus);
    let accepted = 0;
    let shards = 0;
    for await (const shard of planShards(corpus, { shardSize: 4000, inline: false })) {
      const job = {
        kind: 'shard' as const,
        collection: COLLECTION,
        fingerprint,
        shardIndex: shard.index,
        records: shard.records,
        source: shard.source,
      };
      await embedShard(job, { encoder, store });
      accepted += shard.records;
      shards += 1;
    }
    // Finalize builds the IVF-PQ index (LanceDB indexes tables of 10,000 rows and more).
    return (
      await finalizeIngest(
        { collection: COLLECTION, fingerprint, acceptedRecords: accepted, totalShards: shards },
        { store },
      )
    ).stored;
  } finally {
    await encoder.close();
    await store.close();
  }
}

function flags(overrides: Partial<EvalFlags>): EvalFlags {
  return {
    collection: COLLECTION,
    queries: join(VASWANI, 'query-text.trec'),
    qrels: join(VASWANI, 'qrels'),
    topK: 1000,
    relevanceLevel: 1,
    exactVia: 'scan',
    topicField: 'title',
    tag: 'embedline-test',
    variant: 'fp32',
    modelDir: BUNDLED_REFERENCE_MODEL_DIR,
    ...overrides,
  };
}

function captured(): EvalOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, result: (line) => lines.push(line), progress: () => {} };
}

/** Checks the run file is valid TREC: six columns, ranks 1..n per query, scores not increasing, our tag. */
function checkRunFile(path: string, topK: number): Map<string, number> {
  const hitsPerQuery = new Map<string, number>();
  let last: { qid: string; score: number } | undefined;
  for (const line of readFileSync(path, 'utf8').trimEnd().split('\n')) {
    const [qid, q0, , rank, score, tag, ...rest] = line.split(' ');
    assert.equal(rest.length, 0, line);
    assert.equal(q0, 'Q0');
    assert.equal(tag, 'embedline-test');
    const n = (hitsPerQuery.get(qid!) ?? 0) + 1;
    hitsPerQuery.set(qid!, n);
    assert.equal(Number(rank), n, `rank column of ${line}`);
    if (last?.qid === qid) assert.ok(Number(score) <= last!.score, `scores must not increase: ${line}`);
    last = { qid: qid!, score: Number(score) };
  }
  for (const [qid, n] of hitsPerQuery) assert.equal(n, topK, `query ${qid} has ${n} hits`);
  return hitsPerQuery;
}

async function metricsOfRunFile(runPath: string) {
  const [qrels, run] = await Promise.all([readQrels(join(VASWANI, 'qrels')), readRun(runPath)]);
  return {
    'MRR@10': mrrAtK(qrels, run, 10).mean,
    'nDCG@10': ndcgAtK(qrels, run, 10).mean,
    'Recall@100': recallAtK(qrels, run, 100).mean,
    'Recall@1000': recallAtK(qrels, run, 1000).mean,
  };
}

function reportedMeans(report: EvaluationReport): Record<string, number | undefined> {
  return Object.fromEntries(report.metrics.map((m) => [m.name, m.result?.mean]));
}

describe('embedline eval on the Vaswani collection (tiny reference model)', { timeout: 240_000 }, () => {
  before(async () => {
    assert.equal(await ingestVaswani(), 11429);
    const store = new LanceDbStore({ uri: env.EMBEDLINE_LANCEDB_DIR });
    try {
      assert.notEqual(
        await store.vectorIndex(COLLECTION),
        undefined,
        'finalize should have built an ANN index',
      );
    } finally {
      await store.close();
    }
  });

  test('exact search: a valid TREC run of all 93 queries, metrics equal to libs/scoring on the file, recall 1 against exact', async () => {
    const runPath = join(dir, 'exact.run');
    const output = captured();
    const report = await runEval(
      flags({ run: runPath, exact: true, annRecall: true, perQuery: true }),
      env,
      output,
    );

    assert.equal(checkRunFile(runPath, 1000).size, 93);
    assert.equal(report.queries, 93);
    assert.equal(report.hits, 93_000);
    assert.equal(report.coverage.judged.length, 93);
    assert.deepEqual(reportedMeans(report), await metricsOfRunFile(runPath));
    for (const metric of report.metrics) {
      assert.ok(metric.result!.mean >= 0 && metric.result!.mean <= 1, metric.name);
      assert.equal(metric.result!.perQuery.size, 93);
    }
    // The store's brute force and libs/scoring's exact search over the stored vectors agree.
    assert.equal(report.annRecall!.perQuery.size, 93);
    assert.equal(report.annRecall!.mean, 1);

    const printed = output.lines.join('\n');
    for (const [name, value] of Object.entries(await metricsOfRunFile(runPath))) {
      assert.match(printed, new RegExp(`^${name} +${value.toFixed(4)}$`, 'm'));
    }
    assert.match(
      printed,
      /^ANN recall@10 +1\.0000 \(exact run vs exact search over the stored vectors, 93 queries\)$/m,
    );
    const table = output.lines.slice(
      output.lines.indexOf('query\tMRR@10\tnDCG@10\tRecall@100\tRecall@1000\tANN_recall@10'),
    );
    assert.equal(table.length, 94);
  });

  test("ANN search: the index's recall@10 against exact search is reported, on the first n queries", async () => {
    const runPath = join(dir, 'ann.run');
    const output = captured();
    const report = await runEval(
      flags({ run: runPath, annRecall: 20, exactVia: 'store', topK: 100 }),
      env,
      output,
    );

    assert.equal(checkRunFile(runPath, 100).size, 93);
    const recall = report.annRecall!;
    assert.equal(recall.via, 'store');
    assert.equal(recall.perQuery.size, 20);
    assert.ok(recall.mean >= 0 && recall.mean <= 1, `recall ${recall.mean}`);
    const printed = output.lines.join('\n');
    assert.match(
      printed,
      new RegExp(
        `^ANN recall@10 +${recall.mean.toFixed(4)} \\(ANN run vs the store's exact search, 20 queries\\)$`,
        'm',
      ),
    );
    assert.match(printed, /^Recall@1000 +n\/a \(the run holds 100 hits per query; use --top-k 1000\)$/m);
    assert.match(printed, /^ANN index: IVF-PQ, \d+ partitions/m);
    assert.equal(report.metrics.find((m) => m.name === 'Recall@1000')!.result, undefined);
  });

  test('queries without judgements are counted and reported; judged queries missing from the query set are flagged', async () => {
    const queries = join(dir, 'queries.tsv');
    writeFileSync(
      queries,
      '1\tdielectric constant of liquids\n2\twaveguide radiation\nextra-1\tan unjudged query\n',
    );
    const output = captured();
    const report = await runEval(flags({ queries, run: join(dir, 'partial.run'), topK: 10 }), env, output);
    assert.deepEqual(report.coverage.judged, ['1', '2']);
    assert.deepEqual(report.coverage.unjudged, ['extra-1']);
    assert.equal(report.coverage.missingFromQueries.length, 91);
    const printed = output.lines.join('\n');
    assert.match(
      printed,
      /^not scored: 1 queries without a relevant judgement in the qrels \(searched and in the run\): extra-1$/m,
    );
    assert.match(
      printed,
      /^WARNING: 91 judged queries are not in the queries file; they score 0 in every mean: 10, 11, /m,
    );
    assert.equal(checkRunFile(join(dir, 'partial.run'), 10).size, 3);

    // --judged-only: the unjudged query is neither searched nor listed per query; the figures are the same.
    const judgedOnly = captured();
    const onlyJudged = await runEval(
      flags({ queries, run: join(dir, 'judged.run'), topK: 10, judgedOnly: true, perQuery: true }),
      env,
      judgedOnly,
    );
    assert.equal(checkRunFile(join(dir, 'judged.run'), 10).size, 2);
    assert.equal(onlyJudged.queries, 2);
    assert.deepEqual(reportedMeans(onlyJudged), reportedMeans(report));
    const table = judgedOnly.lines.slice(judgedOnly.lines.indexOf('query\tMRR@10\tnDCG@10\tRecall@100\tRecall@1000'));
    assert.deepEqual(table.slice(1).map((line) => line.split('\t')[0]), ['1', '2']);
  });

  test('the command line: bad inputs fail with the file and line named, no stack trace', async () => {
    const badQrels = join(dir, 'bad-qrels');
    writeFileSync(badQrels, '1 0 1239 1\n1 0 1502\n');
    const badQueries = join(dir, 'bad.tsv');
    writeFileSync(badQueries, '1\tok\n2 no tab\n');
    const cases: [string[], RegExp][] = [
      [['--queries', join(dir, 'none.tsv')], /^embedline: .*none\.tsv: no such file$/m],
      [
        ['--queries', badQueries],
        /^embedline: .*bad\.tsv line 2: no TAB between query id and text: "2 no tab"$/m,
      ],
      [
        ['--qrels', badQrels],
        /^embedline: .*bad-qrels: qrels line 2: expected 4 fields "qid iter docid rel", got 3$/m,
      ],
      [
        ['--collection', 'nothing-here'],
        /^embedline: collection "nothing-here": not found in the LanceDB store at .*lancedb \(EMBEDLINE_LANCEDB_DIR\), which has: vaswani; ingest it first$/m,
      ],
      [['--run', dir], /^embedline: .*: is a folder: name the run file/m],
      [['--run', join(VASWANI, 'qrels')], /^embedline: .*qrels: is the qrels file: the run would overwrite it$/m],
      [['--tag', 'my run'], /^embedline: run tag "my run": is empty or contains whitespace/m],
    ];
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = await cli(['eval', ...defaultArgs(args)]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      // Refused before the model loads (here the reference model, which says so when it loads).
      assert.doesNotMatch(stderr, /RANDOM weights/, 'no model loaded');
      assert.equal(stdout, '');
    }
  });

  test('the command line: a full run prints the metrics and writes the run file', async () => {
    const runPath = join(dir, 'cli.run');
    const { code, stdout, stderr } = await cli([
      'eval',
      ...defaultArgs(['--run', runPath, '--top-k', '1000', '--tag', 'embedline-test']),
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(checkRunFile(runPath, 1000).size, 93);
    for (const [name, value] of Object.entries(await metricsOfRunFile(runPath))) {
      assert.match(stdout, new RegExp(`^${name} +${value.toFixed(4)}$`, 'm'));
    }
    assert.match(stderr, /RANDOM weights/, 'the reference model warning');
    assert.match(stderr, /\(reminder\) these figures come from the random-weight reference model/, 'and its reminder');
  });
});

function defaultArgs(overrides: string[]): string[] {
  const args = new Map([
    ['--collection', COLLECTION],
    ['--queries', join(VASWANI, 'query-text.trec')],
    ['--qrels', join(VASWANI, 'qrels')],
  ]);
  for (let i = 0; i < overrides.length; i += 2) args.set(overrides[i]!, overrides[i + 1]!);
  return [...args].flat();
}

/** Runs the embedline command as users do, in its own process. */
function cli(args: string[]): Promise<ProcessResult> {
  // No model folder, no hub, an empty cache: the command falls back to the reference model, and says so.
  const { EMBEDLINE_MODEL_DIR: _unused, ...inherited } = { ...process.env, ...ENV_VARS };
  return runNode(['apps/cli/bin/embedline.mjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, HF_HUB_OFFLINE: '1', HF_HUB_CACHE: join(dir, 'empty-hf-cache') },
  });
}
