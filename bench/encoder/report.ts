/** Comparisons (speed ratios, output diffs) and the markdown report. */
import type { MachineInfo } from './machine.ts';
import type { TokenStats } from './passages.ts';
import type { SystemName, SystemResult } from './protocol.ts';

export const LABELS: Record<SystemName, string> = {
  embedline: 'embedline (ours)',
  transformersjs: 'transformers.js',
  'sentence-transformers': 'sentence-transformers',
};

/**
 * A system's label in the tables: our encoder's says which ONNX variant it ran when that is not the default
 * `onnx/model.onnx` (fp32), e.g. "embedline (ours, O2)"; `settings` is a run's (SystemResult.settings).
 */
export function systemLabel(system: string, settings?: Readonly<Record<string, unknown>>): string {
  const label = LABELS[system as SystemName] ?? system;
  const variant = settings?.variant;
  if (system !== 'embedline' || typeof variant !== 'string' || variant === 'fp32') return label;
  return `${label.replace(/\)$/, '')}, ${variant})`;
}

export const TARGETS = {
  vsSentenceTransformers: 1.5,
  vsTransformersJs: 1.3,
  maxAbsDiff: 1e-4,
} as const;

export interface VectorDiff {
  readonly maxAbsDiff: number;
  readonly minCosine: number;
  /** The row with the largest |diff|, and its token count, to find what differs. */
  readonly worstRow: number;
  readonly worstRowTokens: number;
}

export interface SystemSummary {
  readonly system: SystemName;
  readonly runs: readonly SystemResult[];
  /** Set when a run failed; the system then has no numbers. */
  readonly error?: string;
  readonly medianSeconds?: number;
  readonly passagesPerSecond?: number;
  readonly tokensPerSecond?: number;
  /** Worst over all runs, against sentence-transformers' first run (for it: its other runs). */
  readonly diffVsSentenceTransformers?: VectorDiff;
}

export interface StockTruncationDiff {
  readonly variant: string;
  readonly texts: number;
  readonly diff: VectorDiff;
}

export interface Report {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly threads: number;
  readonly runs: number;
  readonly passages: number;
  readonly model: string;
  readonly tokenStats: TokenStats;
  readonly versions: Record<string, string>;
  readonly systems: readonly SystemSummary[];
  readonly transformersJsStock?: readonly StockTruncationDiff[];
  readonly loadAverageAtEnd: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function compareVectors(
  a: Float32Array,
  b: Float32Array,
  dimension: number,
  tokens: readonly number[],
  rows?: readonly number[],
): VectorDiff {
  if (a.length !== b.length)
    throw new Error(`vector counts differ: ${a.length / dimension} vs ${b.length / dimension}`);
  let maxAbsDiff = 0;
  let minCosine = Number.POSITIVE_INFINITY;
  let worstRow = 0;
  for (let row = 0; row * dimension < a.length; row++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    let rowMax = 0;
    for (let k = row * dimension; k < (row + 1) * dimension; k++) {
      const x = a[k]!;
      const y = b[k]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
      rowMax = Math.max(rowMax, Math.abs(x - y));
    }
    const cosine = na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb);
    if (Number.isNaN(rowMax) || Number.isNaN(cosine)) {
      return {
        maxAbsDiff: Number.NaN,
        minCosine: Number.NaN,
        worstRow: rows?.[row] ?? row,
        worstRowTokens: tokens[rows?.[row] ?? row] ?? 0,
      };
    }
    minCosine = Math.min(minCosine, cosine);
    if (rowMax > maxAbsDiff) {
      maxAbsDiff = rowMax;
      worstRow = row;
    }
  }
  const original = rows?.[worstRow] ?? worstRow;
  return { maxAbsDiff, minCosine, worstRow: original, worstRowTokens: tokens[original] ?? 0 };
}

export function worseOf(a: VectorDiff | undefined, b: VectorDiff): VectorDiff {
  if (a === undefined) return b;
  return {
    ...(b.maxAbsDiff > a.maxAbsDiff || Number.isNaN(b.maxAbsDiff) ? b : a),
    minCosine: Math.min(a.minCosine, b.minCosine),
  };
}

const fmt = (n: number, digits = 1): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (n: number | undefined): string => (n === undefined ? 'n/a' : `${n.toFixed(2)}x`);
const sci = (n: number): string => (n === 0 ? '0' : n.toExponential(1));
const passFail = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export function renderMarkdown(report: Report): string {
  const { machine, tokenStats: t } = report;
  const find = (name: SystemName): SystemSummary | undefined =>
    report.systems.find((s) => s.system === name && !s.error);
  const st = find('sentence-transformers');
  const tjs = find('transformersjs');
  const ours = find('embedline');
  const lines: string[] = [];
  lines.push('# Encoder benchmark', '');
  lines.push(
    `- Machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores${machine.physicalCores ? ` (${machine.physicalCores} physical)` : ''}, ${fmt(machine.memoryGiB)} GiB RAM, ${machine.os}`,
  );
  lines.push(
    `- Load average (1 min): ${machine.loadAverageAtStart} at start, ${report.loadAverageAtEnd} at end (a busy machine makes timings noisy)`,
  );
  lines.push(
    `- Versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  lines.push(
    `- Threads: ${report.threads} for every system (onnxruntime intra-op threads / torch.set_num_threads)`,
  );
  lines.push(`- Model: ${report.model}`);
  lines.push(
    `- Runs: ${report.runs} per system, each a fresh process (load, warm-up on 32 texts, then encode(all) timed once); median reported`,
  );
  lines.push(
    `- Passages: ${report.passages} (Vaswani abstracts cut to MS MARCO-like lengths); tokens incl. [CLS]/[SEP] after truncation: ` +
      `median ${t.median}, p90 ${t.p90}, p99 ${t.p99}, max ${t.max}, mean ${fmt(t.mean)}, total ${t.total.toLocaleString('en-US')}; ` +
      `${t.truncated} truncated at ${t.maxSeqLength}`,
  );
  lines.push('');
  lines.push(
    '| system | passages/s | tokens/s | vs sentence-transformers | vs transformers.js | max \\|diff\\| vs ST | min cosine vs ST |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const s of report.systems) {
    const label = systemLabel(s.system, s.runs[0]?.settings);
    if (s.error !== undefined) {
      lines.push(`| ${label} | failed | | | | | |`);
      continue;
    }
    const pps = s.passagesPerSecond!;
    const d = s.diffVsSentenceTransformers;
    const isSt = s.system === 'sentence-transformers';
    lines.push(
      `| ${label} | ${fmt(pps)} | ${fmt(s.tokensPerSecond!, 0)} | ` +
        `${ratio(st ? pps / st.passagesPerSecond! : undefined)} | ${ratio(tjs ? pps / tjs.passagesPerSecond! : undefined)} | ` +
        `${d ? sci(d.maxAbsDiff) : 'n/a'}${isSt && d ? ' (run to run)' : isSt ? ' (reference)' : ''} | ${d ? d.minCosine.toFixed(7) : 'n/a'} |`,
    );
  }
  lines.push('');
  lines.push(
    `Seconds per run (encode of all ${report.passages} passages): ` +
      report.systems
        .map(
          (s) =>
            `${systemLabel(s.system, s.runs[0]?.settings)} ${s.error !== undefined ? 'failed' : s.runs.map((r) => r.seconds.toFixed(2)).join(' / ')}`,
        )
        .join('; '),
  );
  const tokenCounts = report.systems
    .filter((s) => !s.error)
    .map((s) => `${systemLabel(s.system, s.runs[0]!.settings)} ${s.runs[0]!.tokens}`);
  const allSame = new Set(report.systems.filter((s) => !s.error).map((s) => s.runs[0]!.tokens)).size <= 1;
  lines.push(
    `Tokens each system fed its model: ${tokenCounts.join(', ')} (${allSame ? 'identical' : 'DIFFERENT: truncation differs'})`,
  );
  lines.push('');

  lines.push('## Targets', '');
  if (ours && st) {
    const r = ours.passagesPerSecond! / st.passagesPerSecond!;
    lines.push(
      `- embedline vs sentence-transformers: ${ratio(r)} passages/s (target >= ${TARGETS.vsSentenceTransformers}x) **${passFail(r >= TARGETS.vsSentenceTransformers)}**`,
    );
  } else lines.push('- embedline vs sentence-transformers: n/a (not both run)');
  if (ours && tjs) {
    const r = ours.passagesPerSecond! / tjs.passagesPerSecond!;
    lines.push(
      `- embedline vs transformers.js: ${ratio(r)} passages/s (target >= ${TARGETS.vsTransformersJs}x) **${passFail(r >= TARGETS.vsTransformersJs)}**`,
    );
  } else lines.push('- embedline vs transformers.js: n/a (not both run)');
  if (ours?.diffVsSentenceTransformers) {
    const d = ours.diffVsSentenceTransformers;
    lines.push(
      `- embedline outputs vs sentence-transformers: max |diff| ${sci(d.maxAbsDiff)} (target < ${sci(TARGETS.maxAbsDiff)}) **${passFail(d.maxAbsDiff < TARGETS.maxAbsDiff)}**`,
    );
  } else lines.push('- embedline outputs vs sentence-transformers: n/a (not both run)');
  if (tjs?.diffVsSentenceTransformers) {
    const d = tjs.diffVsSentenceTransformers;
    lines.push(
      `- (check) transformers.js outputs vs sentence-transformers: max |diff| ${sci(d.maxAbsDiff)} ${d.maxAbsDiff < TARGETS.maxAbsDiff ? '(same work: the speed comparison is fair)' : '(DIFFERENT: the systems did not do the same work)'}`,
    );
  }
  lines.push('');

  const breakdown = ours ? describeOurTime(ours) : [];
  if (breakdown.length > 0) lines.push(...breakdown, '');

  if (tjs) {
    lines.push('## transformers.js settings', '');
    for (const [k, v] of Object.entries(tjs.runs[0]!.settings)) lines.push(`- ${k}: ${v}`);
    if (report.transformersJsStock && report.transformersJsStock.length > 0) {
      lines.push('- Texts over the limit, encoded by the unpatched pipeline, vs sentence-transformers:');
      for (const s of report.transformersJsStock) {
        lines.push(
          `  - ${s.variant}: ${s.texts} texts, max |diff| ${sci(s.diff.maxAbsDiff)}, min cosine ${s.diff.minCosine.toFixed(6)}`,
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

function describeOurTime(ours: SystemSummary): string[] {
  const run = ours.runs.reduce((best, r) =>
    Math.abs(r.seconds - ours.medianSeconds!) < Math.abs(best.seconds - ours.medianSeconds!) ? r : best,
  );
  const extra = run.extra as
    | {
        stats?: { batches: number; realTokens: number; paddedTokens: number; atMaxLength: number };
        tokenizeSeconds?: number;
        planSeconds?: number;
      }
    | undefined;
  if (!extra?.stats || extra.tokenizeSeconds === undefined) return [];
  const wall = run.seconds;
  const { stats } = extra;
  const pct = (x: number): string => `${((100 * x) / wall).toFixed(0)}%`;
  const rest = Math.max(0, wall - extra.tokenizeSeconds - (extra.planSeconds ?? 0));
  const padShare = stats.paddedTokens / stats.realTokens - 1;
  return [
    `## Where our encoder's time goes (the median run: ${wall.toFixed(2)} s for ${run.passages} passages)`,
    '',
    `- tokenize: ${extra.tokenizeSeconds.toFixed(3)} s (${pct(extra.tokenizeSeconds)} of wall; calling thread, timed alone after the run; in encode() it overlaps inference of the previous window)`,
    `- plan + pad: ${(extra.planSeconds ?? 0).toFixed(4)} s planning; ${stats.batches} batches, ${stats.realTokens.toLocaleString('en-US')} real tokens padded to ${stats.paddedTokens.toLocaleString('en-US')} (+${(100 * padShare).toFixed(1)}% compute on [PAD]); ${stats.atMaxLength} texts at max length`,
    `- run + pool: ~${rest.toFixed(2)} s (${pct(rest)}; the rest of the wall time: onnxruntime forward passes, mean pooling and normalization in the worker thread)`,
    `- effective: ${fmt(stats.paddedTokens / rest, 0)} computed tokens/s in inference`,
    `- settings: ${Object.entries(run.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
}
