/**
 * The peer on the same GPU: sentence-transformers (PyTorch) encoding the same passages with half-precision
 * weights and large batches, the usual way to run it fast on a GPU. tools/bench/st_encode.py does the work
 * (Python lives in tools/ only); this runs it and reads its result file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PeerResult {
  readonly system: 'sentence-transformers';
  readonly dtype: string;
  readonly batchSize: number;
  readonly passages: number;
  readonly seconds: number;
  readonly passagesPerSecond: number;
  readonly versions: Record<string, string>;
}

export interface PeerOptions {
  readonly python: string;
  readonly script: string;
  readonly modelDir: string;
  readonly texts: readonly string[];
  readonly batchSize: number;
}

/** sentence-transformers' passages/s on the GPU, or the reason it could not run (a missing torch, say). */
export function runPeer(options: PeerOptions): PeerResult | { readonly error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-gpu-peer-'));
  try {
    const passages = join(dir, 'passages.jsonl');
    writeFileSync(passages, options.texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const prefix = join(dir, 'sentence-transformers');
    const args = [options.script, '--passages', passages, '--model', options.modelDir, '--threads', String(availableParallelism())];
    args.push('--device', 'cuda', '--dtype', 'fp16', '--batch-size', String(options.batchSize));
    args.push('--warmup', '512', '--out', prefix);
    const run = spawnSync(options.python, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) {
      const why = run.error?.message ?? run.stderr.trim().split('\n').slice(-5).join(' | ');
      return { error: `${options.python} ${options.script} exited with ${run.signal ?? run.status}: ${why}` };
    }
    const result = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as {
      passages: number;
      seconds: number;
      versions: Record<string, string>;
    };
    return {
      system: 'sentence-transformers',
      dtype: 'fp16',
      batchSize: options.batchSize,
      passages: result.passages,
      seconds: result.seconds,
      passagesPerSecond: result.passages / result.seconds,
      versions: result.versions,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
