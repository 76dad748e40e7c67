/**
 * Samples the resident memory of the benchmark's child processes from /proc while they run, to
 * show how memory evolves with progress (flat, or growing with the corpus). The exact peaks come
 * from the processes themselves (peak-rss.mjs); this adds the curve.
 */
import { readFileSync } from 'node:fs';

export interface MemorySample {
  /** Seconds since sampling began. */
  readonly t: number;
  /** Fraction of the corpus stored when the sample was taken (0..1). */
  readonly progress: number;
  /** VmRSS in MiB per process label. */
  readonly rssMiB: Record<string, number>;
}

/** VmRSS and VmHWM (peak) of a live process, in MiB; undefined once it has exited. */
export function readProcMemory(pid: number): { rssMiB: number; hwmMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export class MemorySampler {
  private readonly started = Date.now();
  private readonly samples: MemorySample[] = [];
  /** Highest VmHWM seen per label (a fallback when a process leaves no exit report). */
  readonly peakMiB: Record<string, number> = {};
  private lastKept = -1;

  constructor(private readonly processes: () => ReadonlyMap<string, number>) {}

  /** Takes a sample; keeps at most ~1 per 2% of progress (plus every 5 s) so a 1M run stays small. */
  sample(progress: number): void {
    const rssMiB: Record<string, number> = {};
    for (const [label, pid] of this.processes()) {
      const memory = readProcMemory(pid);
      if (memory === undefined) continue;
      rssMiB[label] = round1(memory.rssMiB);
      this.peakMiB[label] = Math.max(this.peakMiB[label] ?? 0, round1(memory.hwmMiB));
    }
    const t = (Date.now() - this.started) / 1000;
    const bucket = Math.floor(progress * 50);
    const last = this.samples.at(-1);
    if (bucket !== this.lastKept || last === undefined || t - last.t >= 5) {
      this.samples.push({ t: round1(t), progress: Math.round(progress * 1000) / 1000, rssMiB });
      this.lastKept = bucket;
    }
  }

  curve(): MemorySample[] {
    return this.samples;
  }
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * User + system CPU seconds a live process has used so far (/proc/<pid>/stat utime + stime, in
 * clock ticks of 1/100 s on Linux); undefined once it has exited.
 */
export function readProcCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3: state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100;
