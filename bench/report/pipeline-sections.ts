/** The pipeline areas (bench/pipeline): overhead, plumbing ceiling, scale. Medians recomputed from each file's runs. */
import {
  describeMachineLine,
  field,
  fmt,
  list,
  median,
  num,
  optional,
  readMachine,
  str,
  times,
  verdict,
} from './format.ts';
import type { Headline, Section } from './section.ts';
import { renderLineChart } from './svg.ts';

const common = (results: unknown): string[] => {
  const runs = optional(() => num(results, 'settings.runs')) ?? list(results, 'runs').length;
  return [
    `- Machine: ${describeMachineLine(readMachine(results))}`,
    `- Written ${str(results, 'generatedAt')} by \`${str(results, 'command')}\`; ${runs} run(s)${runs > 1 ? ', medians below' : ''}`,
  ];
};

export function overheadSection(results: unknown): Section {
  const runs = list(results, 'runs');
  const encoderOnly = runs.map((r) => num(r, 'encoderOnly.passagesPerSecond'));
  const pipeline = runs.map((r) => num(r, 'pipeline.passagesPerSecond'));
  const encoderRate = median(encoderOnly);
  const pipelineRate = median(pipeline);
  const ratio = pipelineRate / encoderRate;
  const target = optional(() => num(results, 'summary.target')) ?? 0.9;
  const model = optional(() => str(results, 'summary.modelDescription')) ?? 'unknown model';
  const tiny = optional(() => str(results, 'summary.model')) === 'tiny-model';
  const headline: Headline = {
    area: 'pipeline end to end vs encoder only',
    figure: `${times(ratio)}${tiny ? ' (tiny model: a plumbing ratio, not the real-model overhead)' : ''}`,
    target: `>= ${target}x`,
    verdict: verdict(ratio >= target),
  };
  return {
    lines: [
      ...common(results),
      `- Model: ${model}`,
      '',
      '| what | passages/s per run | passages/s (median) | vs encoder only |',
      '|---|---|---:|---:|',
      `| encoder only | ${encoderOnly.map((v) => fmt(v, 1)).join(' / ')} | ${fmt(encoderRate, 1)} | 1.00x |`,
      `| pipeline, end to end | ${pipeline.map((v) => fmt(v, 1)).join(' / ')} | ${fmt(pipelineRate, 1)} | ${times(ratio)} |`,
      '',
      `- Target: ${headline.area}: ${headline.figure} (target ${headline.target}) ${headline.verdict}`,
    ],
    plots: [],
    headlines: [headline],
  };
}

export function plumbingSection(results: unknown): Section {
  const runs = list(results, 'runs');
  const target = optional(() => num(results, 'summary.targetPerWorker')) ?? 20_000;
  const encoderOnly = median(runs.map((r) => num(r, 'encoderOnly.passagesPerSecond')));
  // The nano model's rows exist only in runs where it was built (make_bench_model.py --shape nano).
  const nanoEncoderOnly = runs
    .map((r) => optional(() => num(r, 'nanoEncoderOnly.passagesPerSecond')))
    .filter((v): v is number => v !== undefined);
  const variants = [
    ['nano-model', 'pipeline, nano model (32-d, cheapest real encoder)', 'nano model'],
    ['tiny-model', 'pipeline, tiny model (64-d)', 'tiny model'],
    ['no-encoder', 'pipeline, no encoder (fixed 768-d vectors)', 'no encoder'],
  ] as const;
  const rows = variants
    .map(([key, label, name]) => {
      const perRun = runs
        .map((r) => optional(() => num(r, `pipelines.${key}.passagesPerSecondPerWorker`)))
        .filter((v): v is number => v !== undefined);
      return { key, label, name, perRun, rate: median(perRun) };
    })
    .filter((r) => r.perRun.length > 0);
  const headlines: Headline[] = rows.map((r) => ({
    area: `plumbing, ${r.name}, per worker process`,
    figure: `${fmt(r.rate)} passages/s`,
    target: `>= ${fmt(target)}`,
    verdict: verdict(r.rate >= target),
  }));
  return {
    lines: [
      ...common(results),
      '',
      '| what | passages/s per worker, per run | median | vs encoder only (tiny model) |',
      '|---|---|---:|---:|',
      `| encoder only, tiny model | ${runs.map((r) => fmt(num(r, 'encoderOnly.passagesPerSecond'))).join(' / ')} | ${fmt(encoderOnly)} | 1.00x |`,
      ...(nanoEncoderOnly.length > 0
        ? [
            `| encoder only, nano model | ${nanoEncoderOnly.map((v) => fmt(v)).join(' / ')} | ${fmt(median(nanoEncoderOnly))} | ${times(median(nanoEncoderOnly) / encoderOnly)} |`,
          ]
        : []),
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.perRun.map((v) => fmt(v)).join(' / ')} | ${fmt(r.rate)} | ${times(r.rate / encoderOnly)} |`,
      ),
      '',
      ...headlines.map((h) => `- Target: ${h.area}: ${h.figure} (target ${h.target}) ${h.verdict}`),
    ],
    plots: [],
    headlines,
  };
}

export interface SizeFigures {
  readonly size: number;
  readonly runs: number;
  readonly ingestSeconds: number;
  readonly passagesPerSecond: number;
  readonly producerPeakRssMiB: number;
  readonly workerPeakRssMiB: number;
  /** The finalize process's peak, when the run finalized in a process of its own (scale.ts --finalize-worker). */
  readonly finalizerPeakRssMiB?: number;
}

export function scaleFigures(results: unknown): SizeFigures[] {
  const runs = list(results, 'runs');
  const sizes = [...new Set(runs.map((r) => num(r, 'size')))].toSorted((a, b) => a - b);
  return sizes.map((size) => {
    const mine = runs.filter((r) => num(r, 'size') === size);
    const m = (path: string) => median(mine.map((r) => num(r, path)));
    const finalizer = median(mine.map((r) => optional(() => num(r, 'finalizerPeakRssMiB')) ?? Number.NaN));
    return {
      size,
      runs: mine.length,
      ingestSeconds: m('ingestSeconds'),
      passagesPerSecond: m('passagesPerSecond'),
      producerPeakRssMiB: m('producerPeakRssMiB'),
      workerPeakRssMiB: m('workerPeakRssMiB'),
      ...(Number.isFinite(finalizer) ? { finalizerPeakRssMiB: finalizer } : {}),
    };
  });
}

export function scaleSection(results: unknown): Section {
  const rows = scaleFigures(results);
  if (rows.length === 0) throw new Error('no runs in the scale results');
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const linearMin = optional(() => num(results, 'summary.thresholds.linearMinRateRatio')) ?? 0.8;
  const flatMax = optional(() => num(results, 'summary.thresholds.flatMaxMemoryRatio')) ?? 1.25;
  const complete = optional(() => field(results, 'summary.complete')) !== false;
  const rateRatio = last.passagesPerSecond / first.passagesPerSecond;
  const producerRatio = last.producerPeakRssMiB / first.producerPeakRssMiB;
  const workerRatio = last.workerPeakRssMiB / first.workerPeakRssMiB;
  const span = `${fmt(first.size)} -> ${fmt(last.size)} passages`;
  const separateFinalize = first.finalizerPeakRssMiB !== undefined && last.finalizerPeakRssMiB !== undefined;
  const finalizerRatio = (last.finalizerPeakRssMiB ?? Number.NaN) / (first.finalizerPeakRssMiB ?? Number.NaN);
  const headlines: Headline[] = [
    {
      area: `scale: passages/s, ${span}`,
      figure: times(rateRatio),
      target: `>= ${linearMin}x (linear time)`,
      verdict: verdict(rateRatio >= linearMin),
    },
    {
      area: `scale: producer peak RSS, ${span}`,
      figure: times(producerRatio),
      target: `<= ${flatMax}x (flat)`,
      verdict: verdict(producerRatio <= flatMax),
    },
    {
      area: `scale: ${separateFinalize ? 'embedding ' : ''}worker peak RSS, ${span}`,
      figure: times(workerRatio),
      target: `<= ${flatMax}x (flat)`,
      verdict: verdict(workerRatio <= flatMax),
    },
    ...(separateFinalize
      ? [
          {
            area: `scale: finalize worker peak RSS, ${span}`,
            figure: times(finalizerRatio),
            target: `<= ${flatMax}x (flat)`,
            verdict: verdict(finalizerRatio <= flatMax),
          },
        ]
      : []),
  ];
  const encoder = optional(() => str(results, 'settings.encoder')) ?? 'unknown encoder';
  const lines = [
    ...common(results),
    `- Encoder: ${encoder}${complete ? '' : ' — **PARTIAL: the run stopped before its last size**'}`,
    '',
    ...(separateFinalize
      ? ['- Finalize ran in a worker of its own (`--queues finalize`, no model); the embedding workers consumed only shards', '']
      : []),
    `| passages | runs | ingest s (median) | passages/s | producer peak RSS MiB | worker peak RSS MiB |${separateFinalize ? ' finalize worker peak RSS MiB |' : ''}`,
    `|---:|---:|---:|---:|---:|---:|${separateFinalize ? '---:|' : ''}`,
    ...rows.map(
      (r) =>
        `| ${fmt(r.size)} | ${r.runs} | ${fmt(r.ingestSeconds, 1)} | ${fmt(r.passagesPerSecond)} | ${fmt(r.producerPeakRssMiB)} | ${fmt(r.workerPeakRssMiB)} |` +
        (separateFinalize ? ` ${fmt(r.finalizerPeakRssMiB ?? Number.NaN)} |` : ''),
    ),
    '',
    ...headlines.map((h) => `- Target: ${h.area}: ${h.figure} (target ${h.target}) ${h.verdict}`),
  ];
  const svg = renderLineChart({
    title: 'Ingest time vs corpus size',
    xLabel: 'passages in the corpus',
    yLabel: 'ingest seconds',
    series: [
      { label: `measured (${encoder})`, points: rows.map((r) => ({ x: r.size, y: r.ingestSeconds })) },
      {
        label: `linear from the smallest size (${fmt(first.passagesPerSecond)} passages/s)`,
        dashed: true,
        markers: false,
        points: rows.map((r) => ({ x: r.size, y: r.size / first.passagesPerSecond })),
      },
    ],
  });
  return { lines, plots: [{ file: 'plot-scale.svg', alt: 'ingest time vs corpus size', svg }], headlines };
}
