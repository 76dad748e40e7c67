/** Number formatting, medians, and reading fields out of results JSON whose shape we check as we go. */

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = finite.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';

export const times = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');
export const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**MISS**');
export const sci = (n: number): string => (!Number.isFinite(n) ? 'n/a' : n === 0 ? '0' : n.toExponential(1));

/** A results file's content did not have the shape this report reads. */
export class ResultsShapeError extends Error {
  override name = 'ResultsShapeError';
}

type Json = unknown;

/** `path` like "summary.bySize": the value there, or a ResultsShapeError naming the path. */
export function field(value: Json, path: string): Json {
  let at: Json = value;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || !(key in at))
      throw new ResultsShapeError(`no "${path}" in the results`);
    at = (at as Record<string, Json>)[key];
  }
  return at;
}

export function num(value: Json, path: string): number {
  const v = field(value, path);
  if (typeof v !== 'number') throw new ResultsShapeError(`"${path}" is not a number`);
  return v;
}

export function str(value: Json, path: string): string {
  const v = field(value, path);
  if (typeof v !== 'string') throw new ResultsShapeError(`"${path}" is not a string`);
  return v;
}

export function list(value: Json, path: string): Json[] {
  const v = field(value, path);
  if (!Array.isArray(v)) throw new ResultsShapeError(`"${path}" is not a list`);
  return v;
}

export function optional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof ResultsShapeError) return undefined;
    throw error;
  }
}

/** bench/encoder/machine.ts's MachineInfo, as each results file carries it. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly physicalCores?: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly loadAverageAtStart: number;
  readonly loadAverageAtEnd?: number;
  readonly gpu?: string;
}

export function readMachine(results: Json, path = 'machine'): MachineInfo {
  const m = field(results, path);
  return {
    cpuModel: str(m, 'cpuModel'),
    logicalCores: num(m, 'logicalCores'),
    physicalCores: optional(() => num(m, 'physicalCores')),
    memoryGiB: num(m, 'memoryGiB'),
    os: optional(() => str(m, 'os')) ?? 'unknown OS',
    node: optional(() => str(m, 'node')) ?? 'unknown',
    loadAverageAtStart: num(m, 'loadAverageAtStart'),
    loadAverageAtEnd: optional(() => num(m, 'loadAverageAtEnd')),
    gpu: optional(() => str(m, 'gpu')),
  };
}

export function describeMachineLine(m: MachineInfo): string {
  const cores = `${m.logicalCores} logical cores${m.physicalCores ? ` (${m.physicalCores} physical)` : ''}`;
  const load =
    `load average ${m.loadAverageAtStart} at start` +
    (m.loadAverageAtEnd === undefined ? '' : `, ${m.loadAverageAtEnd} at end`) +
    (m.loadAverageAtStart > 0.5 * m.logicalCores ? ' (busy: figures are noisy)' : '');
  return `${m.gpu ? `GPU ${m.gpu}; ` : ''}${m.cpuModel}, ${cores}, ${fmt(m.memoryGiB, 1)} GiB RAM, ${m.os}, Node ${m.node}; ${load}`;
}
