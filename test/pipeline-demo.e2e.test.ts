/**
 * The README's front door: `npm run demo:pipeline` (scripts/pipeline-demo.sh) on a 300-abstract slice of
 * Vaswani with its real queries and judgements: its own Redis, two worker processes, the producer, LanceDB,
 * then `embedline eval`. Run twice: the second run resumes (every shard already done) and scores the same.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, exited } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'embedline-pipeline-demo-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(REPO_ROOT, '.embedline/demo-slice.run'), { force: true });
  rmSync(join(REPO_ROOT, '.embedline/demo-slice.rejects.jsonl'), { force: true });
});

function sliceOfVaswani(dir: string, documents: number): string {
  const source = join(REPO_ROOT, 'data/vaswani');
  const docs = readFileSync(join(source, 'doc-text.trec'), 'utf8').split('</DOC>').slice(0, documents);
  writeFileSync(join(dir, 'doc-text.trec'), docs.map((d) => `${d.trim()}\n</DOC>\n`).join(''));
  copyFileSync(join(source, 'query-text.trec'), join(dir, 'query-text.trec'));
  copyFileSync(join(source, 'qrels'), join(dir, 'qrels'));
  return join(dir, 'doc-text.trec');
}

async function runDemo(corpus: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, EMBEDLINE_LANCEDB_DIR: join(work, 'lancedb'), HF_HUB_OFFLINE: '1' };
  delete env.EMBEDLINE_REDIS_URL; // the script must start its own Redis
  const child = spawn('bash', ['scripts/pipeline-demo.sh', corpus, 'demo-slice'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { code: await exited(child), output };
}

test('pipeline demo: ingests with two workers, finalizes, evaluates; a second run resumes', { timeout: 600_000 }, async () => {
  const corpus = sliceOfVaswani(work, 300);
  const first = await runDemo(corpus);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /private Redis at redis:\/\/127\.0\.0\.1:\d+/);
  assert.match(first.output, /finalized\s+\S+: 300 points stored/);
  assert.match(first.output, /MRR@10\s+\d\.\d{4}/);
  assert.match(first.output, /ANN recall@10\s+\d\.\d{4}/);
  const run = readFileSync(join(REPO_ROOT, '.embedline/demo-slice.run'), 'utf8').trim().split('\n');
  assert.ok(run.length > 0 && run.every((line) => line.split(/\s+/).length === 6), 'a TREC run file');

  const second = await runDemo(corpus);
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /0 enqueued, 1 already done/);
  assert.equal(/MRR@10\s+(\S+)/.exec(second.output)?.[1], /MRR@10\s+(\S+)/.exec(first.output)?.[1]);
});
