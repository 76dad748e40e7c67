import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_REFERENCE_MODEL_DIR } from './model/resolve-model.ts';
import { openEncoder, type EncoderSettings } from './open-encoder.ts';
import { quietLogger } from './testing/quiet-logger.ts';

const SETTINGS: EncoderSettings = {
  EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR,
  EMBEDLINE_MODEL_VARIANT: 'fp32',
  EMBEDLINE_PROVIDER: 'cpu',
  EMBEDLINE_DEVICE_ID: 0,
  EMBEDLINE_MAX_BATCH_TOKENS: 1024,
  EMBEDLINE_INTRA_OP_THREADS: 1,
  EMBEDLINE_INTRA_OP_SPINNING: false,
  EMBEDLINE_ALLOW_REFERENCE_MODEL: true,
};

describe('openEncoder', () => {
  // No hub here, and an empty cache: a model named by no folder is not found.
  const cache = mkdtempSync(join(tmpdir(), 'embedline-open-encoder-'));
  const saved = { offline: process.env['HF_HUB_OFFLINE'], cache: process.env['HF_HUB_CACHE'] };
  before(() => {
    process.env['HF_HUB_OFFLINE'] = '1';
    process.env['HF_HUB_CACHE'] = cache;
  });
  after(() => {
    for (const [name, value] of [
      ['HF_HUB_OFFLINE', saved.offline],
      ['HF_HUB_CACHE', saved.cache],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    rmSync(cache, { recursive: true, force: true });
  });

  test('loads the model folder the settings name, with their variant and provider; no warning', async () => {
    const warnings: string[] = [];
    const encoder = await openEncoder(SETTINGS, {
      log: quietLogger,
      onReferenceModel: (w) => warnings.push(w),
    });
    try {
      const { modelDir, variant, provider, dimension } = encoder.describe();
      assert.deepEqual(
        { modelDir, variant, provider },
        { modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant: 'fp32', provider: 'cpu' },
      );
      assert.equal((await encoder.encode(['a passage'])).vectors.length, dimension);
      assert.deepEqual(warnings, []);
    } finally {
      await encoder.close();
    }
  });

  test("a command line's overrides win over the settings; its undefined ones leave the settings", async () => {
    const encoder = await openEncoder(SETTINGS, {
      log: quietLogger,
      overrides: { modelDir: undefined, variant: 'qint8', maxBatchTokens: undefined, maxBatchSize: 4 },
    });
    try {
      const { modelDir, variant, provider } = encoder.describe();
      assert.deepEqual(
        { modelDir, variant, provider },
        { modelDir: BUNDLED_REFERENCE_MODEL_DIR, variant: 'qint8', provider: 'cpu' },
      );
      // 4 texts of 3 tokens and 4 of 302: the settings' 1,024-token budget takes 3 long ones a batch, where
      // the encoder's default of 16,384 would take all 4 (maxBatchSize 4 caps every batch at 4 texts).
      const texts = [
        ...Array.from({ length: 4 }, () => 'short'),
        ...Array.from({ length: 4 }, () => 'word '.repeat(300)),
      ];
      assert.equal((await encoder.encode(texts)).stats.batches, 2 + 1);
    } finally {
      await encoder.close();
    }
  });

  test('no folder and no cached or downloadable model: the bundled reference model, and the warning says so', async () => {
    const warnings: string[] = [];
    const settings = { ...SETTINGS, EMBEDLINE_MODEL_DIR: undefined };
    const encoder = await openEncoder(settings, {
      log: quietLogger,
      onReferenceModel: (w) => warnings.push(w),
    });
    try {
      assert.equal(encoder.describe().modelDir, BUNDLED_REFERENCE_MODEL_DIR);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /is not in the local cache.*BUNDLED REFERENCE MODEL/);
    } finally {
      await encoder.close();
    }
  });

  test('without the fallback allowed, a missing model is an error naming it', async () => {
    const settings = { ...SETTINGS, EMBEDLINE_MODEL_DIR: undefined, EMBEDLINE_ALLOW_REFERENCE_MODEL: false };
    await assert.rejects(
      openEncoder(settings, { log: quietLogger }),
      /msmarco-distilbert-cos-v5 is not in the local cache/,
    );
  });
});
