/**
 * What every pipeline benchmark writes: bench/results/<name>.json with one stable shape,
 * `{benchmark, schemaVersion, generatedAt, command, machine, settings, runs: [...], summary: {...}}`,
 * for the report generator (issue 6), and a markdown table on stdout and in bench/out/<name>.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, type MachineInfo } from '../encoder/machine.ts';

/** The 1-minute load average, to two decimals: printed beside each figure (these machines are shared). */
export function loadAverage1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIR = join(ROOT, 'bench/out/pipeline/corpora');

export interface BenchmarkResults<Run, Summary> {
  readonly benchmark: string;
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: MachineInfo & { readonly loadAverageAtEnd: number };
  readonly settings: Record<string, unknown>;
  readonly runs: readonly Run[];
  readonly summary: Summary;
}

export function startMachine(log: (m: string) => void): MachineInfo {
  const machine = describeMachine();
  log(
    `machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores, ${machine.memoryGiB} GiB, node ${machine.node}; ` +
      `load average at start ${machine.loadAverageAtStart}`,
  );
  if (machine.loadAverageAtStart > 0.5 * machine.logicalCores) {
    log(
      `the machine is busy (load ${machine.loadAverageAtStart} on ${machine.logicalCores} cores): timings will be noisy`,
    );
  }
  return machine;
}

export function machineLines(machine: MachineInfo, loadAverageAtEnd: number): string[] {
  return [
    `- Machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores${machine.physicalCores ? ` (${machine.physicalCores} physical)` : ''}, ${machine.memoryGiB} GiB RAM, ${machine.os}, node ${machine.node}`,
    `- Load average (1 min): ${machine.loadAverageAtStart} at start, ${loadAverageAtEnd} at end (a shared or busy machine makes these figures noisy; rerun on an idle one before quoting them)`,
  ];
}

export function writeResults<Run, Summary>(
  name: string,
  machine: MachineInfo,
  settings: Record<string, unknown>,
  runs: readonly Run[],
  summary: Summary,
  markdown: (loadAverageAtEnd: number) => string,
  log: (m: string) => void,
  /** False: write the files but print nothing (an intermediate save of a long run). */
  print = true,
): void {
  const loadAverageAtEnd = loadAverage1();
  const results: BenchmarkResults<Run, Summary> = {
    benchmark: name,
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    command: `${relative(ROOT, process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadAverageAtEnd },
    settings,
    runs,
    summary,
  };
  const resultsDir = join(ROOT, 'bench/results');
  const outDir = join(ROOT, 'bench/out');
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const text = markdown(loadAverageAtEnd);
  writeFileSync(join(outDir, `${name}.md`), `${text}\n`);
  if (print) console.log(`\n${text}`);
  log(`written: bench/results/${name}.json, bench/out/${name}.md`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';

export const passFail = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export function logger(name: string): (message: string) => void {
  return (message) => console.error(`[${name}] ${message}`);
}

/** Exits with a one-line message (bad flags, missing prerequisites): no stack trace for a user error. */
export function fail(name: string, message: string): never {
  console.error(`[${name}] ${message}`);
  process.exit(2);
}
