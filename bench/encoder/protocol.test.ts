import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ourEncoderOptions } from './protocol.ts';

describe('ourEncoderOptions (run.ts --variant and --encoder-options -> our encoder process)', () => {
  it('passes nothing for the defaults: fp32 and no --encoder-options', () => {
    assert.equal(ourEncoderOptions('fp32'), undefined);
  });

  it('names a variant other than fp32, under the --encoder-options given', () => {
    assert.deepEqual(JSON.parse(ourEncoderOptions('O2')!), { variant: 'O2' });
    assert.deepEqual(JSON.parse(ourEncoderOptions('O2', '{"maxBatchSize":32}')!), {
      variant: 'O2',
      maxBatchSize: 32,
    });
  });

  it('passes --encoder-options on as they are for fp32', () => {
    assert.deepEqual(JSON.parse(ourEncoderOptions('fp32', '{"maxBatchTokens":4096}')!), {
      maxBatchTokens: 4096,
    });
    assert.deepEqual(JSON.parse(ourEncoderOptions('fp32', '{"variant":"O3"}')!), { variant: 'O3' });
    assert.equal(ourEncoderOptions('fp32', '{}'), '{}');
  });

  it('refuses the variant named twice, options that are not a JSON object, and a name that is no file suffix', () => {
    assert.throws(() => ourEncoderOptions('O2', '{"variant":"O3"}'), /give the variant once/);
    assert.throws(() => ourEncoderOptions('fp32', '[1]'), /must be a JSON object/);
    assert.throws(() => ourEncoderOptions('fp32', 'null'), /must be a JSON object/);
    assert.throws(() => ourEncoderOptions('fp32', '{oops'), SyntaxError);
    assert.throws(() => ourEncoderOptions('../model', undefined), /variant name/);
    assert.throws(() => ourEncoderOptions('', undefined), /variant name/);
  });
});
