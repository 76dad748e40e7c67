/**
 * bench/gpu/lent-machine.sh without a GPU: parts carried in separate calls are kept, and joined into the bundle
 * with the CUDA provider in place, as pack-offline.sh splits them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = new URL('./lent-machine.sh', import.meta.url).pathname;
const PROVIDER_DIR = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64';

describe('lent-machine.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-lent-machine-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, LENT_MACHINE_DIR: join(dir, 'machine'), MODELS: 'none' };
  const lentMachine = (...args: string[]) =>
    execFileSync('bash', [SCRIPT, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  const provider = randomBytes(2048);

  /** A bundle and a provider packed and split as pack-offline.sh does, in parts of 1 KiB. */
  function packParts(): string[] {
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'bin'), { recursive: true });
    mkdirSync(join(stage, PROVIDER_DIR), { recursive: true });
    writeFileSync(join(stage, 'bin/node'), '#!/bin/sh\necho fake node\n', { mode: 0o755 });
    writeFileSync(join(stage, 'MANIFEST'), 'a test bundle\n');
    writeFileSync(join(stage, 'noise.bin'), randomBytes(4096)); // incompressible: several parts
    writeFileSync(join(dir, 'provider.so'), provider);
    const out = join(dir, 'parts');
    mkdirSync(out);
    execFileSync('bash', [
      '-c',
      `tar -C ${stage} -cf - . | xz -0 | split -b 1k - ${out}/embedline-gpu.tar.xz.part- && ` +
        `xz -0 -c ${dir}/provider.so | split -b 1k - ${out}/libonnxruntime_providers_cuda.so.xz.part-`,
    ]);
    return readdirSync(out).map((name) => join(out, name));
  }

  it('keeps the parts of several calls and unpacks them into the bundle with the provider', () => {
    const parts = packParts();
    assert.ok(parts.length >= 4, `expected several parts, got ${parts.length}`);
    const half = Math.ceil(parts.length / 2);
    lentMachine('stash', ...parts.slice(0, half)); // one call
    lentMachine('stash', ...parts.slice(half)); // the next
    lentMachine('unpack');
    const bundle = join(dir, 'machine/embedline-bundle');
    assert.equal(readFileSync(join(bundle, 'MANIFEST'), 'utf8'), 'a test bundle\n');
    assert.equal(execFileSync(join(bundle, 'bin/node'), { encoding: 'utf8' }), 'fake node\n');
    assert.deepEqual(readFileSync(join(bundle, PROVIDER_DIR, 'libonnxruntime_providers_cuda.so')), provider);
  });

  it('refuses an unknown verb with its usage', () => {
    assert.throws(
      () => lentMachine('fly'),
      /usage: bench\/gpu\/lent-machine\.sh stash PART\.\.\. \| unpack \| run/,
    );
  });
});
