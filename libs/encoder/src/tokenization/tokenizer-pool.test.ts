import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TextTokenizer } from './text-tokenizer.ts';
import { TokenizerPool } from './tokenizer-pool.ts';

const bertDir = fileURLToPath(new URL('../../fixtures/bert-base-uncased/', import.meta.url));
const config = {
  tokenizerJson: JSON.parse(readFileSync(`${bertDir}tokenizer.json`, 'utf8')) as Record<string, unknown>,
  tokenizerConfig: { do_lower_case: true, model_max_length: 512 },
  maxSeqLength: 32,
  lowerCaseInput: false,
};

describe('TokenizerPool', () => {
  let pool: TokenizerPool;
  before(async () => {
    pool = await TokenizerPool.start(config, 2);
  });
  after(() => pool.close());

  test('gives every text the ids TextTokenizer gives it, in order, across many chunks', async () => {
    const texts = Array.from({ length: 300 }, (_, i) =>
      i % 50 === 0
        ? ''
        : i % 7 === 0
          ? `Café 中文 a\u0000b x\ud800 ${'long '.repeat(i)}`
          : `passage ${i} about waves`,
    );
    const here = new TextTokenizer(config);
    const tokenized = await pool.tokenize(texts);
    assert.equal(tokenized.length, texts.length);
    texts.forEach((text, i) => {
      assert.deepEqual([...tokenized[i]!.ids], here.encode(text), `text ${i}`);
      assert.equal(tokenized[i]!.truncated, here.tokenize(text).truncated, `text ${i}`);
    });
    assert.ok(
      tokenized.some((text) => text.ids.length === 32 && text.truncated),
      'long texts are truncated at maxSeqLength',
    );
  });

  test('no texts, no ids', async () => {
    assert.deepEqual(await pool.tokenize([]), []);
  });
});
