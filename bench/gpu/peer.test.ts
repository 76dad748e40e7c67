import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runPeer } from './peer.ts';

// A stand-in for tools/bench/st_encode.py, run by node instead of python: it speaks the same protocol (reads the
// passages file, writes PREFIX.json) and fails unless asked for the GPU, fp16 and the expected batch size.
const FAKE_PEER = `
const { readFileSync, writeFileSync } = require('node:fs');
const args = process.argv.slice(2);
const flag = (name) => args[args.indexOf('--' + name) + 1];
if (flag('model') === 'broken') { console.error('CUDA not available'); process.exit(3); }
if (flag('device') !== 'cuda' || flag('dtype') !== 'fp16' || flag('batch-size') !== process.env.EXPECT_BATCH) {
  console.error('asked for ' + args.join(' ')); process.exit(4);
}
const texts = readFileSync(flag('passages'), 'utf8').trim().split('\\n').map((line) => JSON.parse(line).text);
const result = { passages: texts.length, seconds: 2, versions: { torch: 'fake' } };
writeFileSync(flag('out') + '.json', JSON.stringify(result));
console.log(JSON.stringify(result));
`;

describe('runPeer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-test-'));
  const script = join(dir, 'fake-peer.cjs');
  writeFileSync(script, FAKE_PEER);
  process.env.EXPECT_BATCH = '256';
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the peer on the GPU in fp16 on exactly the given passages and reads its passages/s', () => {
    const texts = ['first passage', 'a "quoted"\ttab', 'ünïcödé'];
    const peer = runPeer({ python: process.execPath, script, modelDir: '/models/bench', texts, batchSize: 256 });
    assert.ok(!('error' in peer));
    assert.equal(peer.passages, 3);
    assert.equal(peer.passagesPerSecond, 1.5);
    assert.equal(peer.batchSize, 256);
    assert.equal(peer.dtype, 'fp16');
    assert.deepEqual(peer.versions, { torch: 'fake' });
  });

  it('returns the reason when the peer cannot run, instead of failing the benchmark', () => {
    const peer = runPeer({ python: process.execPath, script, modelDir: 'broken', texts: ['x'], batchSize: 256 });
    assert.ok('error' in peer);
    assert.match(peer.error, /exited with 3: CUDA not available/);
    const missing = runPeer({ python: join(dir, 'no-such-python'), script, modelDir: 'm', texts: ['x'], batchSize: 8 });
    assert.ok('error' in missing);
    assert.match(missing.error, /no-such-python/);
  });
});
