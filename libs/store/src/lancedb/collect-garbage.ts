import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * Runs a full V8 garbage collection now, without the process having been started with --expose-gc.
 *
 * Why: finalize scans the whole `id` column in JS before LanceDB builds the index in native code. The
 * scan leaves garbage whose memory V8 does not see: each batch's native buffers (~20 KiB, freed only
 * when their JS wrappers are collected) and the id hashes. During the index build the JS heap is idle,
 * so V8 has no reason to collect, and that garbage sat under the build's peak: 10-13 MiB of a 1M-row
 * finalize's peak RSS (bench/store/finalize-memory-probe.ts). Finalize is rare and long, so one full
 * collection there costs nothing that matters.
 *
 * `--expose-gc` set at run time only exposes `gc` to contexts created afterwards, hence the new context.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
