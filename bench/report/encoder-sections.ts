/** The encoder areas: ours vs peers (bench/encoder), the CPU batch-budget sweep, and the GPU results (bench/gpu). */
import { TARGETS, systemLabel } from '../encoder/report.ts';
import { mathLabel } from '../gpu/parity.ts';
import { GPU_TARGET_PASSAGES_PER_SECOND, bestFp16 } from '../gpu/report.ts';
import {
  describeMachineLine,
  field,
  fmt,
  list,
  median,
  num,
  optional,
  readMachine,
  sci,
  str,
  times,
  verdict,
} from './format.ts';
import type { Headline, Plot, Section } from './section.ts';
import { renderLineChart, type Series } from './svg.ts';

/** Quick mode runs the tiny fixture model: its speed says nothing about the real model's. */
const tinyNote = (model: string): string =>
  model.includes('tiny-model') ? ' (tiny fixture model: a smoke test, not a speed figure)' : '';

export interface SystemFigures {
  readonly system: string;
  readonly label: string;
  readonly runSeconds: readonly number[];
  readonly medianSeconds: number;
  readonly passagesPerSecond: number;
  readonly tokensPerSecond: number;
  readonly maxAbsDiff?: number;
  readonly minCosine?: number;
  readonly error?: string;
}

/** Per system: medians over its runs, recomputed from the raw run times in bench/encoder's JSON. */
export function encoderFigures(report: unknown): SystemFigures[] {
  return list(report, 'systems').map((s) => {
    const system = str(s, 'system');
    const runs = list(s, 'runs');
    // Our encoder's row names its ONNX variant when it is not the default fp32 model.onnx (run.ts --variant).
    const variant = runs.length > 0 ? optional(() => str(runs[0], 'settings.variant')) : undefined;
    const label = systemLabel(system, { variant });
    const error = optional(() => str(s, 'error'));
    const runSeconds = runs.map((r) => num(r, 'seconds'));
    const medianSeconds = median(runSeconds);
    const passages = runs.length > 0 ? num(runs[0], 'passages') : Number.NaN;
    const tokens = runs.length > 0 ? num(runs[0], 'tokens') : Number.NaN;
    return {
      system,
      label,
      runSeconds,
      medianSeconds,
      passagesPerSecond: error === undefined ? passages / medianSeconds : Number.NaN,
      tokensPerSecond: error === undefined ? tokens / medianSeconds : Number.NaN,
      maxAbsDiff: optional(() => num(s, 'diffVsSentenceTransformers.maxAbsDiff')),
      minCosine: optional(() => num(s, 'diffVsSentenceTransformers.minCosine')),
      error,
    };
  });
}

export function encoderSection(report: unknown): Section {
  const figures = encoderFigures(report);
  const by = (name: string) => figures.find((f) => f.system === name && f.error === undefined);
  const ours = by('embedline');
  const st = by('sentence-transformers');
  const tjs = by('transformersjs');
  const vs = (f: SystemFigures, peer: SystemFigures | undefined) =>
    peer === undefined ? Number.NaN : f.passagesPerSecond / peer.passagesPerSecond;
  const lines = [
    `- Machine: ${describeMachineLine(readMachine(report))}`,
    `- Model: ${str(report, 'model')}; ${num(report, 'passages')} passages; ${num(report, 'threads')} inference threads per system; ${num(report, 'runs')} run(s) per system, interleaved, each a fresh process`,
    `- Written ${str(report, 'generatedAt')} by \`${str(report, 'command')}\``,
    '',
    '| system | runs (s) | median s | passages/s | tokens/s | vs sentence-transformers | vs transformers.js | max \\|diff\\| vs ST |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...figures.map((f) =>
      f.error !== undefined
        ? `| ${f.label} | failed: ${f.error.split('\n')[0]} | | | | | | |`
        : `| ${f.label} | ${f.runSeconds.map((s) => s.toFixed(2)).join(' / ')} | ${f.medianSeconds.toFixed(2)} | ${fmt(f.passagesPerSecond, 1)} | ` +
          `${fmt(f.tokensPerSecond)} | ${times(vs(f, st))} | ${times(vs(f, tjs))} | ${f.maxAbsDiff === undefined ? 'n/a' : sci(f.maxAbsDiff)} |`,
    ),
    '',
  ];
  const headlines: Headline[] = [];
  const target = (name: string, ratio: number, goal: number) => {
    headlines.push({
      area: `encoder vs ${name}`,
      figure: Number.isFinite(ratio)
        ? `${times(ratio)} passages/s${tinyNote(str(report, 'model'))}`
        : 'n/a (not both measured)',
      target: `>= ${goal}x`,
      verdict: Number.isFinite(ratio) ? verdict(ratio >= goal) : 'not run',
    });
  };
  target('sentence-transformers', ours ? vs(ours, st) : Number.NaN, TARGETS.vsSentenceTransformers);
  target('transformers.js', ours ? vs(ours, tjs) : Number.NaN, TARGETS.vsTransformersJs);
  const diff = ours?.maxAbsDiff;
  headlines.push({
    area: 'encoder outputs vs sentence-transformers',
    figure: diff === undefined ? 'n/a' : `max |diff| ${sci(diff)}`,
    target: `< ${sci(TARGETS.maxAbsDiff)}`,
    verdict: diff === undefined ? 'not run' : verdict(diff < TARGETS.maxAbsDiff),
  });
  lines.push(...headlines.map((h) => `- Target: ${h.area}: ${h.figure} (target ${h.target}) ${h.verdict}`));
  return { lines, plots: [], headlines };
}

export interface BudgetFigures {
  readonly maxBatchTokens: number;
  readonly runSeconds: readonly number[];
  readonly passagesPerSecond: number;
  readonly tokensPerSecond: number;
  readonly paddingOverhead: number;
}

/** bench/run-all.ts's encoder-budgets.json: one bench/encoder report (our encoder only) per budget. */
export function budgetFigures(results: unknown): BudgetFigures[] {
  return list(results, 'budgets')
    .map((b) => {
      const ours = encoderFigures(field(b, 'report')).find((f) => f.system === 'embedline');
      if (ours === undefined || ours.error !== undefined)
        throw new Error(`budget ${num(b, 'maxBatchTokens')}: ${ours?.error ?? 'no embedline row'}`);
      const runs = list(field(b, 'report'), 'systems.0.runs');
      const padding = median(
        runs.map((r) => num(r, 'extra.stats.paddedTokens') / num(r, 'extra.stats.realTokens') - 1),
      );
      return {
        maxBatchTokens: num(b, 'maxBatchTokens'),
        runSeconds: ours.runSeconds,
        passagesPerSecond: ours.passagesPerSecond,
        tokensPerSecond: ours.tokensPerSecond,
        paddingOverhead: padding,
      };
    })
    .toSorted((a, b) => a.maxBatchTokens - b.maxBatchTokens);
}

export function budgetSection(results: unknown): Section {
  const rows = budgetFigures(results);
  const first = field(list(results, 'budgets')[0], 'report');
  const lines = [
    `- Machine: ${describeMachineLine(readMachine(results))}`,
    `- Our encoder alone (fp32, CPU), model ${str(first, 'model')}${tinyNote(str(first, 'model'))}, ${num(first, 'passages')} passages, ${num(first, 'runs')} run(s) per budget, maxBatchSize ${num(results, 'maxBatchSize')}; written ${str(results, 'generatedAt')}`,
    '',
    '| token budget | runs (s) | passages/s (median) | tokens/s | padding overhead | vs the smallest budget |',
    '|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${fmt(r.maxBatchTokens)} | ${r.runSeconds.map((s) => s.toFixed(2)).join(' / ')} | ${fmt(r.passagesPerSecond, 1)} | ` +
        `${fmt(r.tokensPerSecond)} | ${fmt(r.paddingOverhead * 100, 1)}% | ${times(r.passagesPerSecond / rows[0]!.passagesPerSecond)} |`,
    ),
    '',
  ];
  const plot: Plot = {
    file: 'plot-budget-cpu.svg',
    alt: 'passages/s vs batch token budget, CPU',
    svg: renderLineChart({
      title: 'Encoder passages/s vs batch token budget (CPU, this machine)',
      xLabel: 'maxBatchTokens',
      yLabel: 'passages/s',
      logX: true,
      xTickFormat: (n) => fmt(n),
      series: [
        {
          label: 'embedline fp32, CPU',
          points: rows.map((r) => ({ x: r.maxBatchTokens, y: r.passagesPerSecond })),
        },
      ],
    }),
  };
  return { lines, plots: [plot], headlines: [] };
}

export function gpuSection(results: unknown, file: string, others: readonly string[]): Section {
  const machine = readMachine(results);
  const card = machine.gpu ?? 'unknown GPU';
  const started = str(results, 'started');
  const rows = list(results, 'throughput').map((r) => ({
    variant: str(r, 'variant'),
    budget: num(r, 'maxBatchTokens'),
    threads: num(r, 'inferenceThreads'),
    passages: num(r, 'passages'),
    pps: num(r, 'passagesPerSecond'),
    tps: num(r, 'realTokensPerSecond'),
    padding: num(r, 'paddingOverhead'),
  }));
  const parity = list(results, 'parity').map((p) => ({
    model: str(p, 'model'),
    variant: mathLabel({ variant: str(p, 'variant'), tf32: (p as { tf32?: unknown }).tf32 !== false }),
    cases: num(p, 'cases'),
    maxAbsDiff: num(p, 'maxAbsDiff'),
    minCosine: num(p, 'minCosine'),
    pass: field(p, 'pass') === true,
  }));
  const lines = [
    `> **Measured elsewhere**, not by this run: \`bench/results/${file}\`, written ${started} on ${card}. ` +
      'This machine has no GPU; `npm run bench` includes the latest committed GPU results as they are.',
    '',
    `- Machine: ${describeMachineLine(machine)}`,
    `- To reproduce (on a machine with an NVIDIA GPU): \`bench/gpu.sh\` (writes bench/results/gpu.json; commit it as gpu-<card>.json)`,
    ...(others.length > 0 ? [`- Older GPU results also in bench/results: ${others.join(', ')}`] : []),
    '',
    '| model | arithmetic | texts | max abs diff | min cosine | parity |',
    '|---|---|---:|---:|---:|---|',
    ...parity.map(
      (p) =>
        `| ${p.model} | ${p.variant} | ${p.cases} | ${sci(p.maxAbsDiff)} | ${p.minCosine.toFixed(6)} | ${p.pass ? 'pass' : '**FAIL**'} |`,
    ),
    '',
    '| variant | token budget | inference threads | passages | passages/s | real tokens/s | padding overhead |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${fmt(r.budget)} | ${r.threads} | ${fmt(r.passages)} | ${fmt(r.pps)} | ${fmt(r.tps)} | ${fmt(r.padding * 100, 1)}% |`,
    ),
    '',
  ];
  const best = bestFp16(rows.map((r) => ({ variant: r.variant, passagesPerSecond: r.pps }))) ?? Number.NaN;
  // Older results have no peer.
  const peer = (results as { peer?: unknown }).peer;
  if (peer !== undefined && Number.isFinite(best)) {
    const peerPps = num(peer, 'passagesPerSecond');
    lines.push(
      `- Peer on the same GPU and passages: sentence-transformers with fp16 weights, batch ${num(peer, 'batchSize')}: ` +
        `${fmt(peerPps)} passages/s; Embedline's best fp16 row is **${(best / peerPps).toFixed(2)}x** that.`,
      '',
    );
  }
  const headlines: Headline[] = [
    {
      area: `GPU fp16 passages/s (${card.split(',')[0]}, measured elsewhere ${started.slice(0, 10)})`,
      figure: Number.isFinite(best) ? fmt(best) : 'n/a (no fp16 rows)',
      target: `>= ${fmt(GPU_TARGET_PASSAGES_PER_SECOND)} (one H100)`,
      verdict: Number.isFinite(best) ? verdict(best >= GPU_TARGET_PASSAGES_PER_SECOND) : 'not run',
    },
    {
      area: 'GPU parity',
      figure: `${parity.filter((p) => p.pass).length}/${parity.length} pass`,
      target: 'fp32 < 1e-4; fp16 and TF32 < 1e-2, cosine >= 0.999',
      verdict: parity.length > 0 ? verdict(parity.every((p) => p.pass)) : 'not run',
    },
  ];
  lines.push(...headlines.map((h) => `- Target: ${h.area}: ${h.figure} (target ${h.target}) ${h.verdict}`));
  const budgets = [...new Set(rows.map((r) => r.budget))];
  if (budgets.length < 2)
    lines.push(
      `- Only one token budget (${budgets.map((b) => fmt(b)).join('') || 'none'}) in these results: the plot shows points, not a curve; ` +
        'run `bench/gpu.sh --budgets 16384,65536,131072` for one.',
    );
  const series: Series[] = [];
  for (const key of new Set(rows.map((r) => `${r.variant}|${r.threads}`))) {
    const [variant, threads] = key.split('|');
    series.push({
      label: `${variant}, ${threads} inference thread(s)`,
      points: rows.filter((r) => `${r.variant}|${r.threads}` === key).map((r) => ({ x: r.budget, y: r.pps })),
    });
  }
  const plots: Plot[] =
    rows.length === 0
      ? []
      : [
          {
            file: 'plot-budget-gpu.svg',
            alt: 'passages/s vs batch token budget, GPU',
            svg: renderLineChart({
              title: `Encoder passages/s vs batch token budget (${card.split(',')[0]}, measured ${started.slice(0, 10)})`,
              xLabel: 'maxBatchTokens',
              yLabel: 'passages/s',
              logX: true,
              xTickFormat: (n) => fmt(n),
              series,
            }),
          },
        ];
  return { lines, plots, headlines };
}
