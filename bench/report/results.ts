/** Reading what the benchmarks left in bench/results: one file per area, the GPU files, and the run log. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Area } from './plan.ts';
import type { MachineInfo } from './format.ts';

/** What bench/run-all.ts writes to bench/results/bench-run.json: what it ran, and how each area ended. */
export interface RunLog {
  readonly benchmark: 'bench-run';
  readonly schemaVersion: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly runs: number;
  readonly machine: MachineInfo;
  readonly areas: readonly AreaOutcome[];
}

export type AreaStatus = 'ok' | 'failed' | 'absent';

export interface AreaOutcome {
  readonly area: Area;
  readonly status: AreaStatus;
  /** Why it did not run or did not finish (absent script, exit code and the last lines it printed). */
  readonly reason?: string;
  readonly commands: readonly string[];
  readonly startedAt: string;
  readonly seconds: number;
}

export const RUN_LOG_FILE = 'bench-run.json';

export type Loaded =
  | { readonly kind: 'ok'; readonly file: string; readonly data: unknown }
  | { readonly kind: 'missing'; readonly file: string }
  | { readonly kind: 'unreadable'; readonly file: string; readonly reason: string };

export function loadJson(dir: string, file: string): Loaded {
  const path = join(dir, file);
  if (!existsSync(path)) return { kind: 'missing', file };
  try {
    return { kind: 'ok', file, data: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    return { kind: 'unreadable', file, reason: (error as Error).message };
  }
}

export function loadRunLog(dir: string): RunLog | undefined {
  const loaded = loadJson(dir, RUN_LOG_FILE);
  if (loaded.kind !== 'ok') return undefined;
  const log = loaded.data as Partial<RunLog>;
  return log.benchmark === 'bench-run' && Array.isArray(log.areas) ? (log as RunLog) : undefined;
}

/** bench/gpu writes gpu.json; committed runs are renamed gpu-<card>.json. Newest first (by its `started`). */
export function loadGpuResults(dir: string): Loaded[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => /^gpu(-[\w.-]+)?\.json$/.test(f));
  const loaded = files.map((f) => loadJson(dir, f));
  const started = (l: Loaded) =>
    l.kind === 'ok' ? String((l.data as { started?: unknown }).started ?? '') : '';
  return loaded.toSorted((a, b) => started(b).localeCompare(started(a)) || a.file.localeCompare(b.file));
}

/** When the results were written: `generatedAt` (pipeline, encoder), `started` (gpu). */
export function writtenAt(data: unknown): string | undefined {
  const d = data as { generatedAt?: unknown; started?: unknown };
  const at = d.generatedAt ?? d.started;
  return typeof at === 'string' ? at : undefined;
}
