#!/usr/bin/env node
// Embedline runs its TypeScript sources directly through tsx (no build step to drift from the code).
// tsx is loaded with `--import` in a child node rather than through its register() API, because only
// command-line loaders reach worker threads, and the encoder runs inference in a worker-thread pool.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of forwarded) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal === null) {
    process.exitCode = code ?? 1;
    return;
  }
  // Die of the same signal, so that the shell sees 130 after Ctrl-C, not success: the forwarding handlers
  // must go first, or the signal sent to ourselves would only be forwarded again and the exit status be 0.
  for (const name of forwarded) process.removeAllListeners(name);
  process.kill(process.pid, signal);
});
