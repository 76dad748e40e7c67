/**
 * bench/REPORT.md from the JSON in bench/results (and nothing else): a summary table of targets,
 * then one section per area with its machine, medians, ratios, verdicts and the commands to
 * reproduce it; SVG plots are written next to the report. Areas that did not run say why.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as prettier from 'prettier';
import { describeMachine } from '../encoder/machine.ts';
import { apiSection } from './api-section.ts';
import { budgetSection, encoderSection, gpuSection } from './encoder-sections.ts';
import { describeMachineLine, type MachineInfo } from './format.ts';
import { overheadSection, plumbingSection, scaleSection } from './pipeline-sections.ts';
import { AREAS, AREA_TITLES, RESULT_FILES, commandLine, stepsFor, type Area } from './plan.ts';
import { loadGpuResults, loadJson, loadRunLog, writtenAt, type RunLog } from './results.ts';
import type { Headline, Plot, Section } from './section.ts';

const RENDER: Record<Area, (data: unknown) => Section> = {
  encoder: encoderSection,
  budgets: budgetSection,
  overhead: overheadSection,
  plumbing: plumbingSection,
  scale: scaleSection,
  api: apiSection,
};

/** Every plot the report can draw: a missing one is named in the report with the reason. */
export const PLOTS = [
  { file: 'plot-budget-gpu.svg', what: 'passages/s vs batch budget, GPU (measured elsewhere)', area: 'gpu' },
  { file: 'plot-budget-cpu.svg', what: 'passages/s vs batch budget, CPU (this machine)', area: 'budgets' },
  { file: 'plot-scale.svg', what: 'ingest time vs corpus size', area: 'scale' },
  { file: 'plot-api-latency.svg', what: 'latency vs concurrency', area: 'api' },
] as const;

export interface BuiltReport {
  readonly markdown: string;
  readonly plots: readonly Plot[];
}

export interface ReportOptions {
  readonly resultsDir: string;
  /** Stated as the generation time (tests pin it). */
  readonly now?: Date;
  /** The machine the report is generated on, shown when there is no run log (tests pin it). */
  readonly machine?: MachineInfo;
}

interface AreaPart {
  readonly section?: Section;
  readonly status: string;
  /** Set when the area has no figures to show: the summary's "not run" reason. */
  readonly notRun?: string;
}

export function buildReport(options: ReportOptions): BuiltReport {
  const { resultsDir } = options;
  const runLog = loadRunLog(resultsDir);
  const parts = new Map<string, AreaPart>(AREAS.map((area) => [area, areaPart(area, resultsDir, runLog)]));
  parts.set('gpu', gpuPart(resultsDir));
  const plots = [...parts.values()].flatMap((p) => p.section?.plots ?? []);
  const missingReason = (area: string) => parts.get(area)?.notRun ?? 'its results have no data for it';

  const lines: string[] = ['# Embedline benchmark report', ''];
  lines.push(
    `Generated ${(options.now ?? new Date()).toISOString()} by \`npm run bench:report\` from the JSON in \`bench/results/\`.`,
  );
  if (runLog?.quick) {
    lines.push(
      '',
      '> **QUICK MODE** (`npm run bench -- --quick`): smoke-test sizes and one run each. These figures check that ' +
        'everything runs; they are not figures to quote. Run `npm run bench` for the real ones.',
    );
  }
  lines.push('', '## Machine', '');
  if (runLog) {
    lines.push(
      `- This run (\`npm run bench\`, ${runLog.startedAt} to ${runLog.finishedAt}, ${runLog.runs} run(s) per benchmark): ${describeMachineLine(runLog.machine)}`,
    );
  } else {
    lines.push(
      `- No run log (bench/results/bench-run.json): the report was generated on ${describeMachineLine(options.machine ?? describeMachine())}`,
    );
  }
  lines.push(
    '- Each area below states the machine its results were measured on; figures taken with a load average near or above the core count are noisy.',
    '',
    '## Summary',
    '',
    '| area | measured | target | result |',
    '|---|---|---|---|',
  );
  for (const [area, part] of parts) {
    const headlines: readonly Headline[] = part.section?.headlines ?? [
      { area: title(area), figure: `not run: ${part.notRun ?? part.status}`, target: '', verdict: 'not run' },
    ];
    const info =
      part.section && part.section.headlines.length === 0
        ? [{ area: title(area), figure: 'see below', target: '(no target)', verdict: 'info' }]
        : [];
    const stale =
      part.section && part.notRun !== undefined
        ? [
            {
              area: title(area),
              figure: `not run in the last \`npm run bench\`: ${part.notRun} (older or partial figures below)`,
              target: '',
              verdict: 'not run',
            },
          ]
        : [];
    for (const h of [...stale, ...headlines, ...info])
      lines.push(`| ${h.area} | ${cell(h.figure)} | ${cell(h.target)} | ${h.verdict} |`);
  }
  lines.push('', '## Plots', '');
  for (const plot of PLOTS) {
    const drawn = plots.find((p) => p.file === plot.file);
    lines.push(
      drawn
        ? `- ${plot.what}: [${plot.file}](${plot.file})`
        : `- ${plot.what}: **not drawn**: ${missingReason(plot.area)}`,
    );
  }
  for (const [area, part] of parts) {
    lines.push('', `## ${title(area)}`, '', part.status);
    if (part.section) {
      lines.push('', ...part.section.lines);
      for (const p of part.section.plots) lines.push('', `![${p.alt}](${p.file})`);
    }
    if (area !== 'gpu') {
      // The last run's settings where it ran this area; otherwise the full defaults.
      const ran = runLog?.areas.some((a) => a.area === area) ?? false;
      const quick = ran && runLog!.quick;
      const steps = stepsFor(area as Area, { quick, runs: ran ? runLog!.runs : undefined });
      lines.push(
        '',
        `To reproduce: \`npm run bench -- --only ${area}${quick ? ' --quick' : ''}\`, which runs:`,
        '',
      );
      lines.push('```sh', ...steps.map(commandLine), '```');
    }
  }
  lines.push(
    '',
    '## Reproduce everything',
    '',
    '```sh',
    'npm run bench                           # every area that fits this machine, 3 runs each, then this report',
    'npm run bench -- --quick                # smoke-test sizes, 1 run each',
    'npm run bench -- --only encoder,pipeline  # some areas (pipeline = overhead,plumbing,scale)',
    'npm run bench:report                    # this report again from bench/results/*.json, running nothing',
    'bench/gpu.sh                            # the GPU figures, on a machine with an NVIDIA GPU',
    '```',
    '',
  );
  return { markdown: lines.join('\n'), plots };
}

function title(area: string): string {
  return area === 'gpu' ? 'GPU encoder (measured elsewhere)' : AREA_TITLES[area as Area];
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function areaPart(area: Area, resultsDir: string, runLog: RunLog | undefined): AreaPart {
  const file = RESULT_FILES[area];
  const outcome = runLog?.areas.find((a) => a.area === area);
  const loaded = loadJson(resultsDir, file);
  const failedHere =
    outcome !== undefined && outcome.status !== 'ok' ? `${outcome.reason ?? outcome.status}` : undefined;
  if (loaded.kind !== 'ok') {
    const why =
      failedHere ??
      (loaded.kind === 'unreadable'
        ? `bench/results/${file} is unreadable (${loaded.reason})`
        : outcome
          ? `it exited without writing bench/results/${file}`
          : `no bench/results/${file} (never run here: \`npm run bench -- --only ${area}\`)`);
    return { status: `**Not run**: ${why}`, notRun: why };
  }
  const at = writtenAt(loaded.data) ?? 'an unknown time';
  let status: string;
  if (failedHere !== undefined) {
    const partial = outcome !== undefined && at >= outcome.startedAt;
    status =
      `**Not run** in the last \`npm run bench\`: ${failedHere}\n\n` +
      (partial
        ? `What it wrote before it stopped (${at}) follows: partial figures.`
        : `The results below are older (written ${at}), not from that run.`);
  } else if (outcome !== undefined) {
    status = `Ran in the last \`npm run bench\` (${outcome.startedAt}, ${Math.round(outcome.seconds)} s); results written ${at}.`;
  } else {
    status = `Results written ${at}${runLog ? ' (not part of the last `npm run bench`, which did not select this area)' : ''}.`;
  }
  try {
    return { status, section: RENDER[area](loaded.data), notRun: failedHere };
  } catch (error) {
    const why = `bench/results/${file} does not have the expected shape (${(error as Error).message})`;
    return { status: `${status}\n\n**Not shown**: ${why}`, notRun: why };
  }
}

function gpuPart(resultsDir: string): AreaPart {
  const all = loadGpuResults(resultsDir);
  const latest = all[0];
  if (latest === undefined) {
    const why = 'no bench/results/gpu-*.json committed (run bench/gpu.sh on a machine with an NVIDIA GPU)';
    return { status: `**Not run** here (no GPU on this machine), and ${why}.`, notRun: why };
  }
  if (latest.kind !== 'ok') {
    const why = `bench/results/${latest.file} is unreadable${latest.kind === 'unreadable' ? ` (${latest.reason})` : ''}`;
    return { status: `**Not shown**: ${why}`, notRun: why };
  }
  const status =
    'Not run by `npm run bench` (no GPU on this machine): the latest committed GPU results follow.';
  try {
    const others = all.slice(1).map((l) => l.file);
    return { status, section: gpuSection(latest.data, latest.file, others) };
  } catch (error) {
    const why = `bench/results/${latest.file} does not have the expected shape (${(error as Error).message})`;
    return { status: `${status}\n\n**Not shown**: ${why}`, notRun: why };
  }
}

/**
 * Writes the report and its plots; removes plots of earlier reports that this one could not draw.
 * The markdown goes through the repository's Prettier settings: its tables come out aligned for
 * anyone reading the raw file, and a committed report passes `npm run format:check`.
 */
export async function writeReport(report: BuiltReport, outFile: string): Promise<void> {
  const dir = dirname(outFile);
  mkdirSync(dir, { recursive: true });
  const config = (await prettier.resolveConfig(outFile)) ?? {};
  writeFileSync(outFile, await prettier.format(report.markdown, { ...config, filepath: outFile }));
  for (const plot of PLOTS) {
    const drawn = report.plots.find((p) => p.file === plot.file);
    const path = join(dir, plot.file);
    if (drawn) writeFileSync(path, drawn.svg);
    else if (existsSync(path)) rmSync(path);
  }
}
