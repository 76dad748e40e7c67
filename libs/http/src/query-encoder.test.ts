import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR, TextTokenizer, type Embeddings } from '@embedline/encoder';
import { ApiMetrics } from './metrics.ts';
import { QueryEncoder, type EmbeddingModel } from './query-encoder.ts';

const DIMENSION = 4;
/** 400 one-token words: past the reference model's 384 tokens, so a tokenizer would call it cut. */
const LONG = Array.from({ length: 400 }, () => 'memory').join(' ');

/**
 * A model that says which texts it cut by its own rule (texts starting with "cut"), one a tokenizer would
 * contradict both ways: reported flags that match it can only have come from the model. Its folder is a real
 * model's, so an API that re-tokenized queries from the model folder could.
 */
function flaggingModel() {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    async encode(texts: readonly string[]): Promise<Embeddings> {
      calls.push([...texts]);
      const vectors = Float32Array.from({ length: texts.length * DIMENSION }, (_, i) => i);
      const truncated = Uint8Array.from(texts, (text) => (text.startsWith('cut') ? 1 : 0));
      const stats = { texts: texts.length, batches: 1, realTokens: 0, paddedTokens: 0, atMaxLength: 0 };
      return { vectors, count: texts.length, dimension: DIMENSION, stats, truncated };
    },
    describe: () => ({ dimension: DIMENSION, modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant: 'fp32' }),
  };
  return { model, calls };
}

function queryEncoder(model: EmbeddingModel, metrics = new ApiMetrics(), cacheSize = 100) {
  return new QueryEncoder(model, { batchWaitMs: 0, batchMaxTexts: 64, cacheSize }, metrics);
}

async function truncatedTotal(metrics: ApiMetrics): Promise<number> {
  const text = await metrics.registry.metrics();
  return Number(/^embedline_api_truncated_texts_total (\S+)$/m.exec(text)?.[1]);
}

describe('QueryEncoder', () => {
  /** Every TextTokenizer call while a test runs: the API must make none. */
  let tokenizerCalls: number;
  const originals = { tokenize: TextTokenizer.prototype.tokenize, encode: TextTokenizer.prototype.encode };
  beforeEach(() => {
    tokenizerCalls = 0;
    TextTokenizer.prototype.tokenize = function (text) {
      tokenizerCalls += 1;
      return originals.tokenize.call(this, text);
    };
    TextTokenizer.prototype.encode = function (text) {
      tokenizerCalls += 1;
      return originals.encode.call(this, text);
    };
  });
  afterEach(() => {
    TextTokenizer.prototype.tokenize = originals.tokenize;
    TextTokenizer.prototype.encode = originals.encode;
    assert.equal(tokenizerCalls, 0, 'the API tokenized texts itself');
  });

  test("each vector comes with the model's truncated flag, never the API's own tokenization", async () => {
    const { model } = flaggingModel();
    const metrics = new ApiMetrics();
    const queries = await queryEncoder(model, metrics).encode(['cut short', LONG, 'whole']);
    assert.deepEqual(
      queries.map((query) => query.truncated),
      [true, false, false],
    );
    assert.deepEqual([...queries[1]!.vector], [4, 5, 6, 7], 'row 1 of the output');
    assert.equal(await truncatedTotal(metrics), 1);
  });

  test('a cached query keeps its flag, and every request counts its cut texts, cached or not', async () => {
    const { model, calls } = flaggingModel();
    const metrics = new ApiMetrics();
    const encoder = queryEncoder(model, metrics);
    const first = await encoder.encode(['cut me', 'keep me']);
    const again = await encoder.encode(['keep me', 'cut me', 'cut new']);
    assert.deepEqual(
      calls,
      [['cut me', 'keep me'], ['cut new']],
      'the second request encoded only its new text',
    );
    assert.deepEqual(
      again.map((query) => query.truncated),
      [false, true, true],
    );
    assert.equal(again[1], first[0], 'the cached entry');
    assert.equal(await truncatedTotal(metrics), 3);
  });

  test('without a cache the flags are the same', async () => {
    const { model } = flaggingModel();
    const encoder = queryEncoder(model, new ApiMetrics(), 0);
    for (let round = 0; round < 2; round++) {
      const queries = await encoder.encode(['cut', 'fine']);
      assert.deepEqual(
        queries.map((query) => query.truncated),
        [true, false],
      );
    }
  });
});
