/**
 * The producer as users run it, in its own process: bad input is one line naming the input and the problem,
 * exit code 1, no stack trace, and nothing written (no rejects file, no ingest in Redis).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runNode, type ProcessResult } from '@embedline/testing';
import { PrivateRedis } from '../../../test/support/private-redis.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function producer(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runNode(['--import', 'tsx', 'apps/producer/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
}

/** Exit code 1 and exactly one line on stderr, matching `expected`. */
function assertOneLineError(result: ProcessResult, expected: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter((line) => line.length > 0 && !line.startsWith('npm warn'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, expected);
}

describe('embedline-producer: bad input', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-producer-'));
  let redis: PrivateRedis;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    redis = await PrivateRedis.start();
    env = {
      EMBEDLINE_REDIS_URL: redis.url,
      EMBEDLINE_QUEUE_PREFIX: 'producer-test',
      EMBEDLINE_LANCEDB_DIR: join(dir, 'lancedb'),
    };
  });
  after(async () => {
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a corpus that cannot be read is named before Redis or a rejects file is touched', async () => {
    const folder = join(dir, 'folder.tsv');
    mkdirSync(folder);
    const csv = join(dir, 'corpus.csv');
    writeFileSync(csv, '1\tone\n');
    const cases: [string[], RegExp][] = [
      [[join(dir, 'missing.tsv')], /^embedline-producer: .*missing\.tsv: no such file$/],
      [[folder], /^embedline-producer: .*folder\.tsv: not a regular file$/],
      [
        [csv],
        /^embedline-producer: .*corpus\.csv: cannot tell the format from the file name .*; name one with the format option$/,
      ],
      [[csv, '--format', 'csv'], /^embedline-producer: .*corpus\.csv: unknown format "csv" \(known: tsv, /],
      [
        [csv, '--format', 'tsv', '--title-field', 'title'],
        /^embedline-producer: .*corpus\.csv: a tsv corpus has no fields, so it has no title field "title" \(TSV lines are id<TAB>text\); a title field needs a JSONL, Arrow or Parquet corpus$/,
      ],
    ];
    for (const [args, expected] of cases) {
      assertOneLineError(
        await producer(['ingest', ...args, '--collection', 'unreadable', '--no-progress'], env),
        expected,
      );
    }
    for (const name of ['missing.rejects.jsonl', 'folder.rejects.jsonl', 'corpus.rejects.jsonl'])
      assert.equal(existsSync(join(dir, name)), false, name);
    const client = new Redis(redis.url);
    try {
      assert.deepEqual(await client.keys('producer-test:*'), [], 'nothing written to Redis');
    } finally {
      client.disconnect();
    }
  });

  test('a corpus with no acceptable passage is an error; its rejects are written, nothing is enqueued', async () => {
    const allBad = join(dir, 'all-bad.tsv');
    writeFileSync(allBad, 'no separator\nabc\tnon-numeric id\n');
    assertOneLineError(
      await producer(['ingest', allBad, '--collection', 'allbad', '--no-progress', '--follow'], env),
      /^embedline-producer: .*all-bad\.tsv: no passage to ingest into allbad: all 2 records were rejected \(no-separator 1, bad-id 1; see .*all-bad\.rejects\.jsonl\); nothing was enqueued$/,
    );
    assert.equal(readFileSync(join(dir, 'all-bad.rejects.jsonl'), 'utf8').trim().split('\n').length, 2);
    const empty = join(dir, 'empty.tsv');
    writeFileSync(empty, '');
    assertOneLineError(
      await producer(['ingest', empty, '--collection', 'empty', '--no-progress'], env),
      /^embedline-producer: .*empty\.tsv: no passage to ingest into empty: it holds no records; nothing was enqueued$/,
    );
    const client = new Redis(redis.url);
    try {
      // BullMQ writes each queue's version marker (`<queue>:meta`) when the producer opens it; nothing else may be there.
      const keys = (await client.keys('producer-test:*')).filter((key) => !key.endsWith(':meta'));
      assert.deepEqual(keys, [], 'no ingest recorded, no finalize job queued');
    } finally {
      client.disconnect();
    }
  });

  test('Ctrl-C while enqueuing says how far it got and that a re-run resumes, exit 130', async () => {
    const corpus = join(dir, 'interrupted.tsv');
    writeFileSync(corpus, Array.from({ length: 3000 }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
    // No worker: held back by a high-water mark of 2 jobs, it waits until interrupted.
    const args = [
      'ingest',
      corpus,
      '--collection',
      'interrupted',
      '--shard-size',
      '100',
      '--high-water-mark',
      '2',
    ];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/producer/src/main.ts', ...args, '--add-chunk', '1', '--no-progress'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const client = new Redis(redis.url);
    try {
      // Two shard jobs wait: the first was reported enqueued, and the producer is held back by the high-water mark.
      for (let waited = 0; (await client.llen('producer-test:shards:wait')) < 2; waited += 100) {
        assert.ok(waited < 30_000, `the producer did not begin the ingest: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assertOneLineError(
      { code: 1, stdout: '', stderr },
      /^embedline-producer: SIGINT: stopped enqueuing interrupted \(\d+ shards enqueued, \d+ passages read\); the shards enqueued keep running, and re-running the same ingest resumes$/,
    );
  });

  test('--rejects naming the corpus is refused; the corpus is left intact', async () => {
    const corpus = join(dir, 'keep.tsv');
    writeFileSync(corpus, '1\tone\n2\ttwo\n');
    const result = await producer(
      ['ingest', corpus, '--collection', 'keep', '--rejects', corpus, '--no-progress'],
      env,
    );
    assertOneLineError(
      result,
      /^embedline-producer: --rejects .*keep\.tsv is the corpus itself: writing rejects there would overwrite it$/,
    );
    assert.equal(readFileSync(corpus, 'utf8'), '1\tone\n2\ttwo\n');
  });

  test('status of a collection with no ingest is an error naming the prefix; --json still prints the state', async () => {
    assertOneLineError(
      await producer(['status', 'nosuch'], env),
      /^embedline-producer: nosuch: no ingest recorded in this Redis under the prefix "producer-test"; run `ingest`/,
    );
    const json = await producer(['status', 'nosuch', '--json'], env);
    assert.equal(json.code, 1, json.stderr);
    assert.equal(JSON.parse(json.stdout).state, 'unknown');
  });

  test('--replay-failed for a collection with no ingest is an error naming the prefix, not "re-queued 0"', async () => {
    assertOneLineError(
      await producer(['ingest', join(dir, 'any.tsv'), '--collection', 'nosuch', '--replay-failed'], env),
      /^embedline-producer: nosuch: no ingest recorded in this Redis under the prefix "producer-test"; run `ingest` .*; nothing to replay$/,
    );
  });

  test('Redis not answering at EMBEDLINE_REDIS_URL: one line naming it, in bounded time', async () => {
    const started = Date.now();
    const result = await producer(['status', 'anything'], {
      ...env,
      EMBEDLINE_REDIS_URL: 'redis://127.0.0.1:1',
    });
    assertOneLineError(
      result,
      /^embedline-producer: --redis \(EMBEDLINE_REDIS_URL\) redis:\/\/127\.0\.0\.1:1: Redis did not answer within 10 s \(connect ECONNREFUSED 127\.0\.0\.1:1\); is it running/,
    );
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  });
});
