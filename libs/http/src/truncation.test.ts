import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR, loadModelSpec, TextTokenizer } from '@embedline/encoder';
import { truncationCheck } from './truncation.ts';

const model = { modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant: 'fp32' };
const encoderTokens = new TextTokenizer(loadModelSpec(BUNDLED_REFERENCE_MODEL_DIR));

/** `words` times one word that is one token: [CLS] + words + [SEP] tokens. */
const text = (words: number) => Array.from({ length: words }, () => 'memory').join(' ');

test('truncated: a text of exactly max_seq_length tokens is whole, one token more is cut', () => {
  const truncated = truncationCheck(model);
  assert.equal(encoderTokens.maxSeqLength, 384);
  assert.equal(encoderTokens.encode('memory').length, 3, '"memory" is one token');
  // What the encoder sees cannot tell these apart (384 tokens either way); the check can.
  assert.equal(encoderTokens.encode(text(382)).length, 384);
  assert.equal(encoderTokens.encode(text(383)).length, 384);
  assert.equal(truncated(text(382)), false);
  assert.equal(truncated(text(383)), true);
  assert.equal(truncated('a short query'), false);
  assert.equal(truncated('x'.repeat(1_000_000) + ' ' + text(400)), true, 'one long word is one token, [UNK]');
});

test('truncated: a lower max_seq_length (the encoder option) is the limit', () => {
  const truncated = truncationCheck({ ...model, maxSeqLength: 10 });
  assert.equal(truncated(text(8)), false);
  assert.equal(truncated(text(9)), true);
});
