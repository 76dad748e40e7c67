import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runArea, type RunContext } from './orchestrate.ts';

// Inside the repository (bench/out is gitignored) so that `node --import tsx` finds tsx from there.
const scratch = join(fileURLToPath(new URL('../out/tmp', import.meta.url)));
mkdirSync(scratch, { recursive: true });
const root = mkdtempSync(join(scratch, 'orchestrate-'));
after(() => rmSync(root, { recursive: true, force: true }));

const context = (): RunContext => {
  const resultsDir = join(root, 'results');
  const logsDir = join(root, 'logs');
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(logsDir, { recursive: true });
  return {
    root,
    resultsDir,
    logsDir,
    machine: { cpuModel: 'x', logicalCores: 1, memoryGiB: 1, os: 'x', node: '20', loadAverageAtStart: 0 },
    command: 'test',
    log: () => {},
  };
};

function script(name: string, body: string): string {
  writeFileSync(join(root, name), body);
  return name;
}

describe('runArea', () => {
  it('reports a missing script as absent, naming it, without running anything', async () => {
    const outcome = await runArea('api', [{ script: 'bench/api/nowhere.ts', args: [] }], context());
    assert.equal(outcome.status, 'absent');
    assert.equal(outcome.reason, 'bench/api/nowhere.ts does not exist');
  });

  it('reports a failing script with its exit code and last lines, and keeps its output in a log', async () => {
    const failing = script(
      'fail.mjs',
      "console.log('working'); console.error('step 1'); console.error('the model folder is missing'); process.exit(3);",
    );
    const ctx = context();
    const outcome = await runArea('overhead', [{ script: failing, args: ['--runs', '1'] }], ctx);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.reason!,
      /^npx tsx fail\.mjs --runs 1 exited with 3: step 1 \/ the model folder is missing/,
    );
    assert.match(
      readFileSync(join(ctx.logsDir, 'overhead.log'), 'utf8'),
      /working[\s\S]*the model folder is missing/,
    );
  });

  it('counts a script that exits 0 without writing its results file as failed', async () => {
    const silent = script('silent.mjs', '');
    const outcome = await runArea('scale', [{ script: silent, args: [] }], context());
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.reason, 'exited 0 but did not write bench/results/pipeline-scale.json');
  });

  it('is ok when the script writes its results file', async () => {
    const writes = script(
      'ok.mjs',
      "import { writeFileSync } from 'node:fs'; writeFileSync('results/pipeline-plumbing.json', '{}');",
    );
    const outcome = await runArea('plumbing', [{ script: writes, args: [] }], context());
    assert.equal(outcome.status, 'ok', outcome.reason);
    assert.deepEqual(outcome.commands, ['npx tsx ok.mjs']);
  });

  it('collects the budget sweep, going on past a failed budget', async () => {
    const encoder = script(
      'encoder.mjs',
      [
        "import { mkdirSync, writeFileSync } from 'node:fs';",
        'const out = process.argv[2];',
        "if (out.endsWith('-2')) { console.error('budget 2 broke'); process.exit(1); }",
        'mkdirSync(out, { recursive: true });',
        "writeFileSync(out + '/encoder.json', JSON.stringify({ systems: [], out }));",
      ].join('\n'),
    );
    const ctx = context();
    const steps = [1, 2, 3].map((budget) => ({
      script: encoder,
      args: [`out/b-${budget}`],
      budget,
      out: `out/b-${budget}`,
    }));
    const outcome = await runArea('budgets', steps, ctx);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reason!, /exited with 1: budget 2 broke/);
    const written = JSON.parse(readFileSync(join(ctx.resultsDir, 'encoder-budgets.json'), 'utf8')) as {
      budgets: { maxBatchTokens: number; report: { out: string } }[];
    };
    assert.deepEqual(
      written.budgets.map((b) => [b.maxBatchTokens, b.report.out]),
      [
        [1, 'out/b-1'],
        [3, 'out/b-3'],
      ],
    );
  });
});
