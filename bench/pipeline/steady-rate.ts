/**
 * The pipeline's rate once it is running, without its start (the first shards read while the device waits) and its
 * tail (the last shards written after the device is done): what an MS MARCO-scale ingest, whose start and tail are
 * seconds of an hour, sees throughout. A 200k-passage run on one GPU lasts ~7 s, so a fixed half second at its ends
 * is 7% of its whole-run rate; this figure tells that cost apart from a per-passage one.
 */

/** How many passages were stored by when (ms on any clock), in time order. */
export interface ProgressSample {
  readonly atMs: number;
  readonly stored: number;
}

/**
 * Passages/s between the first count of at least `from` of `total` stored and the last of at most `to`, each
 * timed when it was first seen. Shards finish in bursts (a shared device ends the shards in flight together),
 * and a count polled again through a plateau would time the plateau's end instead of the burst. NaN when those
 * counts span less than half of that band (a run of a few large shards: its steps are the shards, not a rate).
 */
export function steadyRate(samples: readonly ProgressSample[], total: number, from = 0.1, to = 0.9): number {
  const firstSeen = samples.filter((s, i) => i === 0 || s.stored !== samples[i - 1]!.stored);
  const band = firstSeen.filter((s) => s.stored >= from * total && s.stored <= to * total);
  const first = band[0];
  const last = band.at(-1);
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return NaN;
  if (last.stored - first.stored < ((to - from) * total) / 2) return NaN;
  return ((last.stored - first.stored) * 1000) / (last.atMs - first.atMs);
}

/** A steady-state ratio for tables and logs: NaN (steadyRate could not tell) reads as such. */
export function steadyText(ratio: number): string {
  return Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a (too few shards)';
}
