import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { Field, FixedSizeList, Float32, makeData, makeVector } from 'apache-arrow';
import { Encoder } from './encoder.ts';
import type { EncoderOptions } from './encoder-options.ts';
import { EncoderInputError } from './errors/encoder-input-error.ts';
import { ModelLoadError } from './errors/model-load-error.ts';
import { BUNDLED_REFERENCE_MODEL_DIR } from './model/resolve-model.ts';
import { quietLogger } from './testing/quiet-logger.ts';

const reference = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/reference/tiny-model-embeddings.json.gz', import.meta.url))).toString('utf8'),
) as { cases: { name: string; text: string; embedding: number[] }[] };

function row(vectors: Float32Array, index: number, dim: number): Float32Array {
  return vectors.subarray(index * dim, (index + 1) * dim);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

describe('Encoder', () => {
  let encoder: Encoder;
  before(async () => {
    encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, maxBatchTokens: 1024, sortWindow: 16 }, quietLogger);
  });
  after(() => encoder.close());

  test('describes the model it runs, with inference on another thread than the caller', () => {
    const d = encoder.describe();
    assert.equal(d.dimension, 64);
    assert.equal(d.maxSeqLength, 384);
    assert.equal(d.normalized, true);
    assert.equal(d.provider, 'cpu');
    assert.equal(d.variant, 'fp32');
    assert.notEqual(d.inferenceThreadId, threadId);
  });

  test('returns unit vectors in input order, across windows and batches', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `passage ${i} ${'about memory systems '.repeat(i % 13)}`);
    const all = await encoder.encode(texts);
    assert.equal(all.count, 50);
    assert.equal(all.vectors.length, 50 * all.dimension);
    for (const index of [0, 7, 49]) {
      const alone = await encoder.encode([texts[index]!]);
      assert.ok(cosine(row(all.vectors, index, all.dimension), alone.vectors) > 0.999999);
    }
    for (let i = 0; i < all.count; i++) {
      const norm = Math.hypot(...row(all.vectors, i, all.dimension));
      assert.ok(Math.abs(norm - 1) < 1e-5);
    }
  });

  test('reports real and padded tokens', async () => {
    const { stats } = await encoder.encode(['a', 'a b c d e f g h', 'word '.repeat(500)]);
    assert.equal(stats.texts, 3);
    assert.equal(stats.atMaxLength, 1);
    assert.ok(stats.realTokens >= 3 + 10 + 384 - 3);
    assert.ok(stats.paddedTokens >= stats.realTokens);
    assert.ok(stats.batches >= 1);
  });

  test('says which texts were cut at max_seq_length (384): not one of exactly that many tokens', async () => {
    const words = (n: number) => Array.from({ length: n }, () => 'memory').join(' '); // one token each
    const texts = ['a', words(382), words(383), 'word '.repeat(500), '', `${words(382)} \u0000`];
    const { truncated, stats } = await encoder.encode(texts);
    assert.deepEqual(truncated, Uint8Array.from([0, 0, 1, 1, 0, 0]));
    assert.equal(stats.atMaxLength, 4, 'the ids alone cannot tell them apart');
  });

  test('no texts, an empty result', async () => {
    const result = await encoder.encode([]);
    assert.equal(result.count, 0);
    assert.equal(result.vectors.length, 0);
  });

  test('hard input never crashes: empty, whitespace, NUL, lone surrogates, control characters, 1 MB', async () => {
    const hard = ['', '   \t\n', 'a\u0000b', 'x\ud800y\udfff', '\u0007\u001b[0m', 'big '.repeat(250_000)];
    const result = await encoder.encode(hard);
    assert.equal(result.count, hard.length);
    assert.ok(result.vectors.every(Number.isFinite));
    // "" and whitespace-only both tokenize to [CLS] [SEP], as in sentence-transformers.
    assert.deepEqual(row(result.vectors, 0, result.dimension), row(result.vectors, 1, result.dimension));
    // NUL is dropped by BERT's normalizer: "a\0b" is "ab".
    const ab = await encoder.encode(['ab']);
    assert.ok(cosine(row(result.vectors, 2, result.dimension), ab.vectors) > 0.999999);
    const emptyCase = reference.cases.find((c) => c.text === '');
    if (emptyCase) assert.ok(cosine(row(result.vectors, 0, result.dimension), emptyCase.embedding) > 0.99999);
  });

  test('a non-string input is refused with its index', async () => {
    await assert.rejects(
      encoder.encode(['fine', 42 as unknown as string]),
      (error: unknown) => error instanceof EncoderInputError && error.index === 1 && /expected a string, got number/.test(error.message),
    );
  });

  test('vectors wrap as an Arrow FixedSizeList<Float32> without a copy', async () => {
    const result = await encoder.encode(['one', 'two', 'three']);
    const child = makeData({ type: new Float32(), data: result.vectors });
    const type = new FixedSizeList(result.dimension, new Field('item', new Float32(), false));
    const vector = makeVector(makeData({ type, length: result.count, nullCount: 0, child }));
    assert.equal(vector.length, 3);
    assert.equal(vector.data[0]!.children[0]!.values.buffer, result.vectors.buffer);
    assert.deepEqual([...(vector.get(1) as { toArray(): Float32Array }).toArray()], [...row(result.vectors, 1, result.dimension)]);
  });
});

describe('Encoder configuration', () => {
  for (const variant of ['fp32', 'fp16']) {
    test(`pooling in the graph (the default) equals pooling on the host (${variant})`, async () => {
      const texts = ['short', 'a somewhat longer text about vector search and retrieval', '', 'x '.repeat(500)];
      const graph = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant }, quietLogger);
      const host = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant, pooling: 'host' }, quietLogger);
      try {
        assert.equal(graph.describe().pooling, 'graph');
        assert.equal(host.describe().pooling, 'host');
        const [a, b] = [await graph.encode(texts), await host.encode(texts)];
        const diff = Math.max(...Array.from(a.vectors, (v, i) => Math.abs(v - b.vectors[i]!)));
        assert.ok(diff < 1e-5, `max |diff| ${diff}`);
      } finally {
        await graph.close();
        await host.close();
      }
    });
  }

  test('auto picks the cpu where no GPU is usable, says why at info level and warns nothing', async () => {
    const infos: string[] = [];
    const warnings: string[] = [];
    const previous = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '-1'; // the same outcome on any machine, GPU or not
    try {
      const encoder = await Encoder.load(
        { modelDir: BUNDLED_REFERENCE_MODEL_DIR, provider: 'auto' },
        { info: (m) => infos.push(m), warn: (m) => warnings.push(m) },
      );
      await encoder.close();
      assert.equal(encoder.describe().provider, 'cpu');
      assert.deepEqual(warnings, []);
      assert.ok(infos.some((m) => /CUDA_VISIBLE_DEVICES="-1" hides every GPU\); running on cpu/.test(m)), infos.join('\n'));
      assert.ok(infos.some((m) => / on cpu, 64-d/.test(m)), infos.join('\n'));
    } finally {
      if (previous === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = previous;
    }
  });

  test('asking for cuda where there is none falls back to cpu with one warning', async () => {
    const warnings: string[] = [];
    const encoder = await Encoder.load(
      { modelDir: BUNDLED_REFERENCE_MODEL_DIR, provider: 'cuda', deviceId: 0 },
      { info: () => undefined, warn: (m) => warnings.push(m) },
    );
    try {
      assert.equal(encoder.describe().provider, 'cpu');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /cuda execution provider unavailable \(.+\); running on cpu/);
      assert.equal((await encoder.encode(['still works'])).count, 1);
    } finally {
      await encoder.close();
    }
  });

  for (const variant of ['qint8', 'fp16']) {
    test(`the ${variant} variant stays close to the fp32 reference`, async () => {
      const encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant }, quietLogger);
      try {
        assert.equal(encoder.describe().variant, variant);
        const cases = reference.cases.filter((c) => c.text.length < 2000).slice(0, 50);
        const result = await encoder.encode(cases.map((c) => c.text));
        cases.forEach((c, i) => assert.ok(cosine(row(result.vectors, i, result.dimension), c.embedding) > 0.99, c.name));
      } finally {
        await encoder.close();
      }
    });
  }

  test('a corrupt ONNX file is a ModelLoadError naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-corrupt-'));
    try {
      cpSync(BUNDLED_REFERENCE_MODEL_DIR, dir, { recursive: true });
      writeFileSync(join(dir, 'onnx/model.onnx'), 'definitely not a protobuf');
      await assert.rejects(
        Encoder.load({ modelDir: dir }, quietLogger),
        (error: unknown) => error instanceof ModelLoadError && error.file === join(dir, 'onnx/model.onnx'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('options are validated', async () => {
    await assert.rejects(Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, maxBatchTokens: 0 }, quietLogger), /invalid encoder options: maxBatchTokens: /);
    const spinning = { modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpSpinning: 'yes' } as unknown as EncoderOptions;
    await assert.rejects(Encoder.load(spinning, quietLogger), /invalid encoder options: intraOpSpinning: /);
  });

  test('spinning or sleeping intra-op threads give the same embeddings, bit for bit', async () => {
    const texts = ['short', 'a somewhat longer text about vector search and retrieval', 'x '.repeat(300)];
    const options = { modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 2 };
    const sleeping = await Encoder.load(options, quietLogger);
    const spinning = await Encoder.load({ ...options, intraOpSpinning: true }, quietLogger);
    try {
      assert.deepEqual((await spinning.encode(texts)).vectors, (await sleeping.encode(texts)).vectors);
    } finally {
      await sleeping.close();
      await spinning.close();
    }
  });
});

describe('Encoder with a tokenizer pool', () => {
  test('tokenizing on threads gives the same embeddings, bit for bit, as on the calling thread', async () => {
    const texts = reference.cases.map((c) => c.text);
    const options = { modelDir: BUNDLED_REFERENCE_MODEL_DIR, maxBatchTokens: 1024, sortWindow: 16 };
    const here = await Encoder.load(options, quietLogger);
    const pooled = await Encoder.load({ ...options, tokenizerThreads: 2 }, quietLogger);
    try {
      const [a, b] = await Promise.all([here.encode(texts), pooled.encode(texts)]);
      assert.deepEqual(b.vectors, a.vectors);
      assert.deepEqual(b.stats, a.stats);
      assert.deepEqual(b.truncated, a.truncated);
      assert.ok(a.truncated?.includes(1), 'some reference texts are cut');
    } finally {
      await Promise.all([here.close(), pooled.close()]);
    }
  });
});
