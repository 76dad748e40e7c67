/**
 * Parity with sentence-transformers itself: the fixtures were written by tools/reference/make_fixtures.py
 * from `SentenceTransformer.encode()` and `BertTokenizerFast`, and committed. Every embedding must match
 * to 1e-5 and every token id sequence exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Encoder } from './encoder.ts';
import { TextTokenizer } from './tokenization/text-tokenizer.ts';
import { BUNDLED_REFERENCE_MODEL_DIR } from './model/resolve-model.ts';
import { quietLogger } from './testing/quiet-logger.ts';

interface ReferenceCase {
  readonly name: string;
  readonly text: string;
  readonly input_ids: number[];
  readonly embedding: number[];
}

const fixture = (file: string) => fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));
const reference = JSON.parse(gunzipSync(readFileSync(fixture('reference/tiny-model-embeddings.json.gz'))).toString('utf8')) as {
  dimension: number;
  cases: ReferenceCase[];
};

describe('parity with sentence-transformers (tiny reference model)', () => {
  let encoder: Encoder;
  before(async () => {
    // A small token budget forces many batches of mixed padding, the case most likely to go wrong.
    encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, maxBatchTokens: 2048, sortWindow: 64 }, quietLogger);
  });
  after(() => encoder.close());

  test(`tokenizes all ${reference.cases.length} reference texts to the same ids`, () => {
    for (const c of reference.cases) assert.deepEqual(encoder.tokenize(c.text), c.input_ids, c.name);
  });

  test('embeds every reference text within 1e-5 of SentenceTransformer.encode()', async () => {
    const result = await encoder.encode(reference.cases.map((c) => c.text));
    assert.equal(result.dimension, reference.dimension);
    let worst = 0;
    reference.cases.forEach((c, row) => {
      const got = result.vectors.subarray(row * result.dimension, (row + 1) * result.dimension);
      const diff = Math.max(...c.embedding.map((value, d) => Math.abs(value - got[d]!)));
      assert.ok(diff < 1e-5, `${c.name}: max |diff| ${diff}`);
      worst = Math.max(worst, diff);
    });
    assert.ok(worst < 1e-5);
  });

  test('results do not depend on batching: one text at a time gives the same vectors', async () => {
    const sample = reference.cases.slice(0, 20);
    const together = await encoder.encode(sample.map((c) => c.text));
    for (const [row, c] of sample.entries()) {
      const alone = await encoder.encode([c.text]);
      const expected = together.vectors.subarray(row * together.dimension, (row + 1) * together.dimension);
      alone.vectors.forEach((value, d) => assert.ok(Math.abs(value - expected[d]!) < 1e-6, c.name));
    }
  });
});

describe('parity with BertTokenizerFast on the real model vocabulary (bert-base-uncased)', () => {
  const lines = gunzipSync(readFileSync(fixture('reference/bert-base-uncased-tokens.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { text: string; input_ids: number[] });
  const bert = fixture('bert-base-uncased/');
  const tokenizer = new TextTokenizer({
    tokenizerJson: JSON.parse(readFileSync(`${bert}tokenizer.json`, 'utf8')) as Record<string, unknown>,
    tokenizerConfig: { do_lower_case: true },
    maxSeqLength: 384,
    lowerCaseInput: false,
  });

  test(`gives the same ids for all ${lines.length} texts`, () => {
    assert.ok(lines.length >= 3000);
    let mismatches = 0;
    const examples: string[] = [];
    for (const { text, input_ids } of lines) {
      const ids = tokenizer.encode(text);
      if (ids.length !== input_ids.length || ids.some((id, i) => id !== input_ids[i])) {
        mismatches += 1;
        if (examples.length < 3) examples.push(JSON.stringify(text.slice(0, 80)));
      }
    }
    assert.equal(mismatches, 0, `mismatching texts, e.g. ${examples.join(', ')}`);
    assert.ok(lines.some((l) => l.input_ids.length === 384), 'the set includes texts truncated at 384 tokens');
  });
});
