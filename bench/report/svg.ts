/**
 * A small line chart as a standalone SVG string.
 *
 * Why hand-written and not a library: the report needs three plain line charts (a few series, a few
 * points each) rendered in Node with no browser. The server-side options all pull in far more than
 * that: Vega/Vega-Lite (a large dependency tree, and canvas for PNG), Chart.js (needs a canvas
 * implementation: native `canvas`/skia builds), d3 (needs jsdom to build the DOM it renders into).
 * ~150 lines here give deterministic output that tests can check line by line, with no native build
 * and nothing to keep up to date.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Series {
  readonly label: string;
  readonly points: readonly Point[];
  /** Drawn dashed: a second figure of the same thing (p99 beside p50), or a reference line. */
  readonly dashed?: boolean;
  /** Dots at the points (default true); off for a reference line that is no measurement. */
  readonly markers?: boolean;
  /** Palette slot (default: the series' index), so related series can share a colour. */
  readonly color?: number;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Log scale (base 2) on x: batch budgets and concurrencies grow by factors, not steps. */
  readonly logX?: boolean;
  /** Tick labels on x at exactly these values (default: the distinct x of all points). */
  readonly xTicks?: readonly number[];
  /** Labels for x ticks (default: 12k-style short numbers). */
  readonly xTickFormat?: (value: number) => string;
  readonly width?: number;
  readonly height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { top: 40, right: 24, bottom: 56, left: 72 };
const LEGEND_ROW = 18;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Round numbers for axis ticks: 1, 2 or 5 times a power of ten, covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

const trim = (n: number): string => String(Number(n.toPrecision(3)));
const px = (n: number): string => n.toFixed(1);

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 720;
  const legendHeight = chart.series.length * LEGEND_ROW + 8;
  const height = (chart.height ?? 400) + legendHeight;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - legendHeight - MARGIN.top - MARGIN.bottom;
  const points = chart.series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (points.length === 0) throw new Error(`chart "${chart.title}" has no finite points to plot`);
  if (chart.logX && points.some((p) => p.x <= 0))
    throw new Error(`chart "${chart.title}": log x needs x > 0`);

  const tx = chart.logX ? Math.log2 : (x: number) => x;
  const xs = chart.xTicks ?? [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  let xMin = Math.min(...xs.map(tx), ...points.map((p) => tx(p.x)));
  let xMax = Math.max(...xs.map(tx), ...points.map((p) => tx(p.x)));
  if (!chart.logX) xMin = Math.min(0, xMin);
  if (xMax === xMin) {
    // one x value: centre it
    xMin -= 1;
    xMax += 1;
  }
  // a margin on x so that the first and last points and their labels sit inside the plot
  const pad = (xMax - xMin) * 0.05;
  if (chart.logX) xMin -= pad;
  xMax += pad;
  const yTicks = niceTicks(Math.max(...points.map((p) => p.y)));
  const yMax = yTicks.at(-1)!;
  const sx = (x: number) => MARGIN.left + ((tx(x) - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const y of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${px(sy(y))}" y2="${px(sy(y))}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN.left - 6}" y="${px(sy(y) + 4)}" text-anchor="end">${escapeXml(formatTick(y))}</text>`,
    );
  }
  for (const x of xs) {
    out.push(
      `<line x1="${px(sx(x))}" x2="${px(sx(x))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${px(sx(x))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escapeXml((chart.xTickFormat ?? formatTick)(x))}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 40}" text-anchor="middle">${escapeXml(chart.xLabel + (chart.logX ? ' (log scale)' : ''))}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );

  chart.series.forEach((series, i) => {
    const color = COLORS[(series.color ?? i) % COLORS.length]!;
    const pts = series.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .toSorted((a, b) => a.x - b.x);
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(sx(p.x))},${px(sy(p.y))}`).join(' ')}"/>`,
      );
    }
    if (series.markers ?? true) {
      for (const p of pts) {
        out.push(
          `<circle cx="${px(sx(p.x))}" cy="${px(sy(p.y))}" r="3.5" fill="${color}"><title>${escapeXml(`${series.label}: ${formatTick(p.x)} -> ${formatTick(p.y)}`)}</title></circle>`,
        );
      }
    }
    const ly = height - legendHeight + i * LEGEND_ROW + 12;
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${MARGIN.left + 30}" y="${ly}">${escapeXml(series.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
