import { spawn } from 'node:child_process';

/** What a finished process printed, and how it ended. */
export interface ProcessResult {
  /** Its exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunProcessOptions {
  readonly cwd: string;
  /** The whole environment of the process (spread process.env in to inherit it). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Runs `node ARGS` (this Node binary) to its end and collects its output: how the apps' tests run a
 * command as its users do, in a process of its own, and check its exit code and what it printed.
 */
export function runNode(args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
