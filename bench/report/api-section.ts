/**
 * API latency (bench/api, autocannon against /v1/search): requests/s, p50, p99 per concurrency, with and
 * without micro-batching. Rows are read from `runs` (every run) or `summary.rows`: objects with a
 * `concurrency`, a mode (`mode`/`variant`, or `microBatching: boolean`), requests/s and latency
 * percentiles in ms under the usual names; the medians per (mode, concurrency) are computed here.
 */
import { describeMachineLine, fmt, median, readMachine, str, times, verdict } from './format.ts';
import type { Headline, Section } from './section.ts';
import { renderLineChart, type Series } from './svg.ts';

/** Issue 4: micro-batching must beat one-request-at-a-time encoding by >= 2x at concurrency 64. */
export const API_TARGET = { concurrency: 64, ratio: 2 } as const;

export interface ApiRow {
  readonly mode: string;
  /** How many runs the medians are over. */
  readonly runs: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const pick = (row: Record<string, unknown>, paths: readonly string[]): number => {
  for (const path of paths) {
    let at: unknown = row;
    for (const key of path.split('.'))
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    if (typeof at === 'number') return at;
  }
  return Number.NaN;
};

function modeOf(row: Record<string, unknown>): string {
  if (typeof row.microBatching === 'boolean') return row.microBatching ? 'micro-batched' : 'one at a time';
  for (const key of ['mode', 'variant', 'batching', 'name'])
    if (typeof row[key] === 'string') return row[key];
  return 'search';
}

/** A mode that encodes each request alone (the baseline micro-batching is measured against). */
export const isUnbatched = (mode: string): boolean =>
  /one[- ]at[- ]a[- ]time|single|unbatched|no[-_ ]?batch|sequential|\boff\b|disabled/i.test(mode);

export function apiRows(results: unknown): ApiRow[] {
  const r = results as { runs?: unknown; summary?: { rows?: unknown } };
  const raw = [r.runs, r.summary?.rows].find((v) => Array.isArray(v) && v.some(hasConcurrency)) as
    unknown[] | undefined;
  if (raw === undefined) throw new Error('no rows with a "concurrency" in runs or summary.rows');
  const rows = raw.filter(hasConcurrency).map((row) => ({
    runs: 1,
    mode: modeOf(row),
    concurrency: row.concurrency,
    requestsPerSecond: pick(row, ['requestsPerSecond', 'rps', 'requests.average', 'requests.mean']),
    p50Ms: pick(row, ['p50Ms', 'latencyP50Ms', 'p50', 'latency.p50', 'latencyMs.p50']),
    p99Ms: pick(row, ['p99Ms', 'latencyP99Ms', 'p99', 'latency.p99', 'latencyMs.p99']),
  }));
  const groups = new Map<string, ApiRow[]>();
  for (const row of rows) {
    const key = `${row.mode}|${row.concurrency}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((g) => ({
    runs: g.length,
    mode: g[0]!.mode,
    concurrency: g[0]!.concurrency,
    requestsPerSecond: median(g.map((x) => x.requestsPerSecond)),
    p50Ms: median(g.map((x) => x.p50Ms)),
    p99Ms: median(g.map((x) => x.p99Ms)),
  }));
}

function hasConcurrency(row: unknown): row is Record<string, unknown> & { concurrency: number } {
  return (
    typeof row === 'object' &&
    row !== null &&
    typeof (row as { concurrency?: unknown }).concurrency === 'number'
  );
}

export function apiSection(results: unknown): Section {
  const rows = apiRows(results).toSorted(
    (a, b) => a.mode.localeCompare(b.mode) || a.concurrency - b.concurrency,
  );
  const baseline = (c: number) => rows.find((r) => isUnbatched(r.mode) && r.concurrency === c);
  const batchedAt = rows.filter((r) => !isUnbatched(r.mode) && r.concurrency === API_TARGET.concurrency);
  const base = baseline(API_TARGET.concurrency);
  const ratio =
    base && batchedAt.length > 0
      ? Math.max(...batchedAt.map((r) => r.requestsPerSecond)) / base.requestsPerSecond
      : Number.NaN;
  const runsPer = Math.max(...rows.map((r) => r.runs));
  const headline: Headline = {
    area: `API micro-batching vs one at a time, concurrency ${API_TARGET.concurrency}`,
    figure: Number.isFinite(ratio)
      ? `${times(ratio)} requests/s`
      : 'n/a (both modes at this concurrency needed)',
    target: `>= ${API_TARGET.ratio}x`,
    verdict: Number.isFinite(ratio) ? verdict(ratio >= API_TARGET.ratio) : 'not run',
  };
  const lines = [
    `- Machine: ${describeMachineLine(readMachine(results))}`,
    `- Written ${str(results, 'generatedAt')} by \`${str(results, 'command')}\`; ${runsPer} run(s) per mode and concurrency${runsPer > 1 ? ', medians' : ''}`,
    '',
    '| mode | concurrency | requests/s | p50 ms | p99 ms | vs one at a time |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const b = baseline(r.concurrency);
      return `| ${r.mode} | ${r.concurrency} | ${fmt(r.requestsPerSecond, 1)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${b ? times(r.requestsPerSecond / b.requestsPerSecond) : 'n/a'} |`;
    }),
    '',
    `- Target: ${headline.area}: ${headline.figure} (target ${headline.target}) ${headline.verdict}`,
  ];
  const series: Series[] = [];
  [...new Set(rows.map((r) => r.mode))].forEach((mode, color) => {
    const mine = rows.filter((r) => r.mode === mode);
    series.push(
      { label: `${mode}, p50`, color, points: mine.map((r) => ({ x: r.concurrency, y: r.p50Ms })) },
      {
        label: `${mode}, p99`,
        color,
        dashed: true,
        points: mine.map((r) => ({ x: r.concurrency, y: r.p99Ms })),
      },
    );
  });
  const svg = renderLineChart({
    title: 'Search latency vs concurrency',
    xLabel: 'concurrent connections',
    yLabel: 'latency, ms',
    logX: true,
    series,
  });
  return {
    lines,
    plots: [{ file: 'plot-api-latency.svg', alt: 'latency vs concurrency', svg }],
    headlines: [headline],
  };
}
