/** The machine a benchmark ran on, as printed above its table. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  /** Logical CPUs this process may use (what every system is given as its thread count by default). */
  readonly logicalCores: number;
  /** Distinct (physical id, core id) pairs in /proc/cpuinfo; undefined where it does not say. */
  readonly physicalCores: number | undefined;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** 1-minute load average when the benchmark started: a busy machine makes timings noisy. */
  readonly loadAverageAtStart: number;
}

export function describeMachine(): MachineInfo {
  let cpuModel = cpus()[0]?.model?.trim() ?? 'unknown';
  let physicalCores: number | undefined;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim();
    if (model) cpuModel = model;
    const cores = new Set<string>();
    for (const block of info.split(/\n\s*\n/)) {
      const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
      const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
      if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
    }
    if (cores.size > 0) physicalCores = cores.size;
  } catch {
    // not Linux: os.cpus() is all there is
  }
  return {
    cpuModel,
    logicalCores: availableParallelism(),
    physicalCores,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.versions.node,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
