/**
 * Running one area's steps for bench/run-all.ts: each script as its own process, its output shown and
 * kept in a log file, and an outcome that says why when it did not run: the script is absent, it
 * exited non-zero (with its last lines), or it exited 0 without writing its results file.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MachineInfo } from './format.ts';
import { BUDGET_MAX_BATCH_SIZE, RESULT_FILES, commandLine, type Area, type Step } from './plan.ts';
import type { AreaOutcome } from './results.ts';

export interface RunContext {
  /** Repository root: scripts and step outputs are relative to it. */
  readonly root: string;
  readonly resultsDir: string;
  readonly logsDir: string;
  readonly machine: MachineInfo;
  /** The orchestrator's command line, recorded in the files it writes itself. */
  readonly command: string;
  readonly log: (message: string) => void;
}

interface BudgetResult {
  readonly maxBatchTokens: number;
  readonly command: string;
  readonly report: unknown;
}

export async function runArea(area: Area, steps: readonly Step[], ctx: RunContext): Promise<AreaOutcome> {
  const started = new Date();
  const base = { area, commands: steps.map(commandLine), startedAt: started.toISOString() };
  const seconds = () => (Date.now() - started.getTime()) / 1000;
  const missing = steps.find((s) => !existsSync(join(ctx.root, s.script)));
  if (missing)
    return { ...base, status: 'absent', reason: `${missing.script} does not exist`, seconds: seconds() };

  const failures: string[] = [];
  const budgets: BudgetResult[] = [];
  for (const step of steps) {
    ctx.log(`${area}: ${commandLine(step)}`);
    const failure = await runStep(area, step, ctx);
    if (area === 'encoder') keepEncoderResults(started, ctx); // also after a failure: the systems that ran are in it
    if (failure !== undefined) {
      failures.push(failure);
      if (area !== 'budgets') break; // one failed budget leaves the others worth measuring
      continue;
    }
    if (step.budget !== undefined && step.out !== undefined) {
      const report = JSON.parse(readFileSync(join(ctx.root, step.out, 'encoder.json'), 'utf8')) as unknown;
      budgets.push({ maxBatchTokens: step.budget, command: commandLine(step), report });
    }
  }
  if (area === 'budgets' && budgets.length > 0) writeBudgets(budgets, ctx);
  if (failures.length > 0)
    return { ...base, status: 'failed', reason: failures.join('; '), seconds: seconds() };

  const written = statSync(join(ctx.resultsDir, RESULT_FILES[area]), { throwIfNoEntry: false });
  if (written === undefined || written.mtimeMs < started.getTime()) {
    const reason = `exited 0 but did not write bench/results/${RESULT_FILES[area]}`;
    return { ...base, status: 'failed', reason, seconds: seconds() };
  }
  return { ...base, status: 'ok', seconds: seconds() };
}

/** bench/encoder writes its JSON among its scratch files in bench/out; the report reads bench/results. */
function keepEncoderResults(since: Date, ctx: RunContext): void {
  const written = join(ctx.root, 'bench/out/encoder.json');
  const stat = statSync(written, { throwIfNoEntry: false });
  if (stat !== undefined && stat.mtimeMs >= since.getTime()) {
    copyFileSync(written, join(ctx.resultsDir, RESULT_FILES.encoder));
  }
}

/** Runs one script with its output shown and kept in the logs folder; undefined, or why it failed. */
function runStep(area: Area, step: Step, ctx: RunContext): Promise<string | undefined> {
  const logFile = join(ctx.logsDir, `${area}${step.budget === undefined ? '' : `-${step.budget}`}.log`);
  const file = createWriteStream(logFile);
  let tail = '';
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', step.script, ...step.args], {
      cwd: ctx.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      file.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      file.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) => {
      file.end();
      done(`${step.script} could not start: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      file.end();
      if (code === 0) return done(undefined);
      const last = tail
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-3)
        .join(' / ');
      done(
        `${commandLine(step)} exited with ${signal ?? code}${last ? `: ${last}` : ''} ` +
          `(full output: ${relative(ctx.root, logFile)})`,
      );
    });
  });
}

function writeBudgets(budgets: readonly BudgetResult[], ctx: RunContext): void {
  const results = {
    benchmark: 'encoder-budgets',
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    command: ctx.command,
    machine: ctx.machine,
    maxBatchSize: BUDGET_MAX_BATCH_SIZE,
    budgets,
  };
  writeFileSync(join(ctx.resultsDir, RESULT_FILES.budgets), `${JSON.stringify(results, null, 2)}\n`);
}
