import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import type { EncodeOnlyResult } from './encode-only.ts';

const ENCODE_ONLY = new URL('./encode-only.ts', import.meta.url).pathname;

describe('encode-only.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-encode-only-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const corpus = join(dir, 'corpus.tsv');
  writeFileSync(
    corpus,
    ['1\tthe first passage', '2\ta second, longer passage about transformers', ''].join('\n'),
  );

  function encodeOnly(provider: string) {
    const args = ['--import', 'tsx', ENCODE_ONLY, '--corpus', corpus, '--model', BUNDLED_REFERENCE_MODEL_DIR];
    // No CUDA provider library is installed here (.npmrc skips it), so cuda falls back to the CPU.
    return spawnSync(process.execPath, [...args, '--provider', provider, '--warmup', '1'], {
      input: 'go\n',
      encoding: 'utf8',
      env: { ...process.env, CUDA_VISIBLE_DEVICES: '' },
    });
  }

  it('times the passages on the provider it was given', () => {
    const child = encodeOnly('cpu');
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as EncodeOnlyResult;
    assert.equal(result.passages, 2);
  });

  it('refuses to time a CPU fallback when asked for cuda', () => {
    const child = encodeOnly('cuda');
    assert.equal(child.status, 2, child.stdout);
    assert.match(child.stderr, /asked for --provider cuda, but the CUDA execution provider did not load/);
    assert.doesNotMatch(child.stdout, /READY/);
  });
});
