/**
 * The encoder-only baseline for a pipeline run: as many encoder processes as the pipeline has
 * workers, each with the same thread count and encoder settings, each encoding an equal part of the
 * same corpus, started together. Its wall time (the slowest part) is what the pipeline would take
 * if queueing, reading, Arrow conversion and storing cost nothing.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EncodeOnlyResult } from './encode-only.ts';
import { CPU_DEVICE, deviceFlagArgs, type EncoderDevice } from './process-flags.ts';

export interface BaselineSettings {
  readonly root: string;
  readonly corpusPath: string;
  readonly modelDir: string;
  readonly processes: number;
  readonly threads: number;
  readonly maxBatchTokens: number;
  /** As the pipeline's workers embed (default: fp32 on the CPU). */
  readonly device?: EncoderDevice;
}

export interface BaselineResult {
  readonly passages: number;
  readonly processes: number;
  /** The slowest part's encode(all) time: all parts start at once. */
  readonly seconds: number;
  readonly passagesPerSecond: number;
  /** CPU seconds of all parts during their timed encode(all). */
  readonly cpuSeconds: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
  readonly parts: readonly EncodeOnlyResult[];
}

export async function runEncodeBaseline(settings: BaselineSettings): Promise<BaselineResult> {
  const children = Array.from({ length: settings.processes }, (_, i) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(settings.root, 'bench/pipeline/encode-only.ts'),
        ...['--corpus', settings.corpusPath, '--model', settings.modelDir],
        ...['--threads', String(settings.threads), '--max-batch-tokens', String(settings.maxBatchTokens)],
        ...['--part', String(i + 1), '--parts', String(settings.processes)],
        ...deviceFlagArgs(settings.device ?? CPU_DEVICE),
      ],
      { cwd: settings.root, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
  try {
    const outputs = children.map((child) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
      const lines: string[] = [];
      const ready = new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (line === 'READY') resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`encode-only exited with ${code} before READY:\n${stderr}`)),
        );
      });
      const done = new Promise<EncodeOnlyResult>((resolve, reject) => {
        child.once('exit', (code) => {
          if (code !== 0) return reject(new Error(`encode-only exited with ${code}:\n${stderr}`));
          try {
            resolve(JSON.parse(lines.at(-1) ?? '') as EncodeOnlyResult);
          } catch {
            reject(new Error(`encode-only printed no result:\n${lines.join('\n')}\n${stderr}`));
          }
        });
      });
      done.catch(() => undefined); // awaited below; avoid an unhandled rejection if READY fails first
      return { ready, done };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.end('go\n');
    const parts = await Promise.all(outputs.map((o) => o.done));
    const passages = parts.reduce((sum, p) => sum + p.passages, 0);
    const seconds = Math.max(...parts.map((p) => p.seconds));
    return {
      passages,
      processes: settings.processes,
      seconds,
      passagesPerSecond: passages / seconds,
      cpuSeconds: parts.reduce((sum, p) => sum + p.cpuSeconds, 0),
      realTokens: parts.reduce((sum, p) => sum + p.realTokens, 0),
      paddedTokens: parts.reduce((sum, p) => sum + p.paddedTokens, 0),
      parts,
    };
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
