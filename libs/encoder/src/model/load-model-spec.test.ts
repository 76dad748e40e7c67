import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../errors/model-load-error.ts';
import { loadModelSpec } from './load-model-spec.ts';

const bertDir = fileURLToPath(new URL('../../fixtures/bert-base-uncased/', import.meta.url));
const roots: string[] = [];
after(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const MODULES = [
  { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
];

/** A minimal msmarco-distilbert-cos-v5-shaped folder; `change` edits it before the test loads it. */
function modelFolder(change: (dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-spec-'));
  roots.push(dir);
  const json = (file: string, value: unknown) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), JSON.stringify(value));
  };
  json('modules.json', MODULES);
  json('sentence_bert_config.json', { max_seq_length: 384, do_lower_case: false });
  json('config.json', { model_type: 'distilbert', dim: 768, max_position_embeddings: 512 });
  json('1_Pooling/config.json', { word_embedding_dimension: 768, pooling_mode_mean_tokens: true, pooling_mode_cls_token: false });
  json('tokenizer_config.json', { do_lower_case: true, model_max_length: 512 });
  copyFileSync(join(bertDir, 'vocab.txt'), join(dir, 'vocab.txt'));
  json('onnx/model.onnx', 'not really onnx; existence is all the spec checks');
  json('onnx/model_O4.onnx', '');
  change(dir);
  return dir;
}

function assertLoadError(dir: string, file: string, pattern: RegExp, variant?: string) {
  assert.throws(
    () => loadModelSpec(dir, { variant }),
    (error: unknown) => error instanceof ModelLoadError && error.file === join(dir, file) && pattern.test(error.message),
  );
}

describe('loadModelSpec', () => {
  test('reads the msmarco-distilbert-cos-v5 layout', () => {
    const dir = modelFolder();
    const spec = loadModelSpec(dir);
    assert.equal(spec.dimension, 768);
    assert.equal(spec.maxSeqLength, 384);
    assert.equal(spec.normalize, true);
    assert.equal(spec.lowerCaseInput, false);
    assert.equal(spec.onnxPath, join(dir, 'onnx/model.onnx'));
    assert.equal(spec.modelType, 'distilbert');
    assert.equal((spec.tokenizerJson.model as { type: string }).type, 'WordPiece');
  });

  test('a variant picks onnx/model_<variant>.onnx; a missing one lists the variants there are', () => {
    const dir = modelFolder();
    assert.equal(loadModelSpec(dir, { variant: 'O4' }).onnxPath, join(dir, 'onnx/model_O4.onnx'));
    assertLoadError(dir, 'onnx/model_qint8.onnx', /available variants: O4, fp32/, 'qint8');
  });

  test('max_seq_length can be lowered, never raised past the position table', () => {
    const dir = modelFolder((d) => writeFileSync(join(d, 'sentence_bert_config.json'), '{"max_seq_length": 4096}'));
    assert.equal(loadModelSpec(dir).maxSeqLength, 512);
    assert.equal(loadModelSpec(dir, { maxSeqLength: 128 }).maxSeqLength, 128);
  });

  test('missing and malformed files are named', () => {
    assertLoadError(modelFolder((d) => rmSync(join(d, 'modules.json'))), 'modules.json', /missing/);
    assertLoadError(modelFolder((d) => writeFileSync(join(d, 'config.json'), '{oops')), 'config.json', /not valid JSON/);
    assertLoadError(
      modelFolder((d) => writeFileSync(join(d, '1_Pooling/config.json'), '{"pooling_mode_mean_tokens": true}')),
      '1_Pooling/config.json',
      /no word_embedding_dimension/,
    );
    assertLoadError(
      modelFolder((d) => rmSync(join(d, 'vocab.txt'))),
      'tokenizer.json',
      /missing \(and no vocab.txt/,
    );
    assertLoadError(modelFolder((d) => rmSync(join(d, 'onnx'), { recursive: true })), 'onnx/model.onnx', /no ONNX weights/);
  });

  test('pooling, module kinds and widths other than what sentence-transformers would run are refused', () => {
    const cls = { word_embedding_dimension: 768, pooling_mode_cls_token: true };
    assertLoadError(
      modelFolder((d) => writeFileSync(join(d, '1_Pooling/config.json'), JSON.stringify(cls))),
      '1_Pooling/config.json',
      /unsupported pooling cls; only mean pooling/,
    );
    const dense = [...MODULES, { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' }];
    assertLoadError(
      modelFolder((d) => writeFileSync(join(d, 'modules.json'), JSON.stringify(dense))),
      'modules.json',
      /unsupported module sentence_transformers.models.Dense/,
    );
    assertLoadError(
      modelFolder((d) => writeFileSync(join(d, 'config.json'), '{"model_type": "distilbert", "dim": 384}')),
      '1_Pooling/config.json',
      /differs from the transformer's width 384/,
    );
  });

  test('reads the sentence-transformers 6 layout (pooling_mode string, length in tokenizer_config)', () => {
    const dir = modelFolder((d) => {
      writeFileSync(join(d, '1_Pooling/config.json'), '{"embedding_dimension": 768, "pooling_mode": "mean"}');
      writeFileSync(join(d, 'sentence_bert_config.json'), '{"transformer_task": "feature-extraction"}');
      writeFileSync(join(d, 'tokenizer_config.json'), '{"do_lower_case": true, "model_max_length": 384}');
    });
    const spec = loadModelSpec(dir);
    assert.equal(spec.dimension, 768);
    assert.equal(spec.maxSeqLength, 384);
    assertLoadError(
      modelFolder((d) => writeFileSync(join(d, '1_Pooling/config.json'), '{"embedding_dimension": 8, "pooling_mode": "max"}')),
      '1_Pooling/config.json',
      /unsupported pooling max/,
    );
  });

  test('no Normalize module means no normalization', () => {
    const dir = modelFolder((d) => writeFileSync(join(d, 'modules.json'), JSON.stringify(MODULES.slice(0, 2))));
    assert.equal(loadModelSpec(dir).normalize, false);
  });

  test('a folder that does not exist is named', () => {
    assertLoadError('/nonexistent/model', '', /does not exist/);
  });
});
