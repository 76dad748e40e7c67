/**
 * `npm run bench`: runs every benchmark that fits this machine, one after the other (never two at
 * once: they would share the cores they measure), then writes bench/REPORT.md from bench/results.
 * An area whose script is missing or fails is recorded with the reason in bench/results/bench-run.json
 * and the report says "not run: <reason>"; the GPU figures are not run here (bench/gpu.sh, elsewhere).
 *
 *   npm run bench [-- --quick] [-- --only encoder,pipeline] [-- --runs N] [-- --dry-run]
 *
 *   --quick       smoke-test sizes and 1 run each: checks that everything works, figures not to quote
 *   --only LIST   areas: encoder, budgets, overhead, plumbing, scale, api (pipeline = overhead,plumbing,scale)
 *   --runs N      runs per benchmark (default 3; --quick: 1)
 *   --dry-run     print the commands and exit
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './encoder/machine.ts';
import { positiveInt } from './encoder/protocol.ts';
import { runArea, type RunContext } from './report/orchestrate.ts';
import { commandLine, selectAreas, stepsFor } from './report/plan.ts';
import { buildReport, writeReport } from './report/render.ts';
import { RUN_LOG_FILE, type AreaOutcome, type RunLog } from './report/results.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const LOGS = join(ROOT, 'bench/out/bench-logs');
const log = (message: string) => console.error(`[bench] ${message}`);

const options = readFlags();
const areas = selectAreas(options.only);
const plan = { quick: options.quick, runs: options.runs };

if (options.dryRun) {
  for (const area of areas)
    for (const step of stepsFor(area, plan)) console.log(`${area}: ${commandLine(step)}`);
  process.exit(0);
}

const machine = describeMachine();
const startedAt = new Date().toISOString();
log(
  `machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores, ${machine.memoryGiB} GiB, node ${machine.node}`,
);
log(
  `load average at start: ${machine.loadAverageAtStart}${machine.loadAverageAtStart > 0.5 * machine.logicalCores ? ' (busy: figures will be noisy)' : ''}`,
);
log(
  `areas: ${areas.join(', ')}${options.quick ? ' (quick mode)' : ''}; not run here: the GPU figures (bench/gpu.sh on a GPU machine)`,
);
mkdirSync(RESULTS, { recursive: true });
mkdirSync(LOGS, { recursive: true });

const context: RunContext = {
  root: ROOT,
  resultsDir: RESULTS,
  logsDir: LOGS,
  machine,
  command: `bench/run-all.ts ${process.argv.slice(2).join(' ')}`.trim(),
  log,
};
const outcomes: AreaOutcome[] = [];
for (const area of areas) {
  const outcome = await runArea(area, stepsFor(area, plan), context);
  outcomes.push(outcome);
  log(
    `${area}: ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''} (${Math.round(outcome.seconds)} s)`,
  );
  saveRunLog();
}

const report = buildReport({ resultsDir: RESULTS });
await writeReport(report, join(ROOT, 'bench/REPORT.md'));
log(
  `written bench/REPORT.md${report.plots.length > 0 ? ` and ${report.plots.map((p) => p.file).join(', ')}` : ''}`,
);
const bad = outcomes.filter((o) => o.status !== 'ok');
if (bad.length > 0) {
  log(`not run: ${bad.map((o) => `${o.area} (${o.status})`).join(', ')}; see bench/REPORT.md`);
  process.exitCode = 1;
}

function saveRunLog(): void {
  const runLog: RunLog = {
    benchmark: 'bench-run',
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    runs: options.runs ?? (options.quick ? 1 : 3),
    machine: { ...machine, loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    areas: outcomes,
  };
  writeFileSync(join(RESULTS, RUN_LOG_FILE), `${JSON.stringify(runLog, null, 2)}\n`);
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        runs: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    }
    selectAreas(values.only); // a typo in --only fails now, not after an hour of benchmarks
    return {
      quick: values.quick,
      only: values.only,
      runs: values.runs === undefined ? undefined : positiveInt('runs', values.runs),
      dryRun: values['dry-run'],
    };
  } catch (error) {
    console.error(`[bench] ${(error as Error).message} (see --help)`);
    process.exit(2);
  }
}
