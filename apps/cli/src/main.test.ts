import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'embedline-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a reader that leaves early (embedline ... | head) ends the command quietly, not with an EPIPE stack trace', async () => {
  const corpus = join(dir, 'docs.tsv');
  writeFileSync(corpus, Array.from({ length: 30 }, (_, i) => `${i}\tpassage number ${i}\n`).join(''));
  const child = spawn(
    process.execPath,
    ['apps/cli/bin/embedline.mjs', 'demo', '--corpus', corpus, '--top-k', '30', 'passage'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // The reader is gone before the command prints its first line: every write meets a closed pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /, stderr);
  assert.equal(code, 0, stderr);
});

test('stopped by a signal (Ctrl-C, SIGTERM), the command dies of it: its exit status is no success', async () => {
  // The demo embeds the whole bundled corpus: long enough to be stopped halfway.
  const child = spawn(process.execPath, ['apps/cli/bin/embedline.mjs', 'demo'], {
    cwd: REPO_ROOT,
    env: { ...process.env, EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('read 11429 documents')) resolve();
    }),
  );
  child.kill('SIGTERM');
  assert.deepEqual(await closed, { code: null, signal: 'SIGTERM' });
});
