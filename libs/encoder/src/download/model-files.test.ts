import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultModelFiles, onnxModelFile } from './model-files.ts';

const REPO_FILES = [
  '.gitattributes',
  'README.md',
  '1_Pooling/config.json',
  '2_Normalize/config.json',
  'config.json',
  'config_sentence_transformers.json',
  'modules.json',
  'sentence_bert_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'onnx/model.onnx',
  'onnx/model_O1.onnx',
  'onnx/model_O4.onnx',
  'onnx/model_qint8_avx512_vnni.onnx',
  'onnx/model_quint8_avx2.onnx',
  'openvino/openvino_model.bin',
  'openvino/openvino_model.xml',
  'openvino/openvino_model_qint8_quantized.bin',
  'pytorch_model.bin',
  'model.safetensors',
  'tf_model.h5',
  'rust_model.ot',
  'deep/nested/config.json',
];
const CONFIGS = REPO_FILES.slice(2, 12);

test('the default filter takes the configs, the tokenizer and the fp32 ONNX file', () => {
  assert.deepEqual(REPO_FILES.filter(defaultModelFiles()), [...CONFIGS, 'onnx/model.onnx']);
  assert.deepEqual(REPO_FILES.filter(defaultModelFiles('fp32')), [...CONFIGS, 'onnx/model.onnx']);
  assert.deepEqual(defaultModelFiles().required, ['onnx/model.onnx']);
});

test('a variant takes its own ONNX file (and its external data) instead', () => {
  assert.deepEqual(REPO_FILES.filter(defaultModelFiles('O4')), [...CONFIGS, 'onnx/model_O4.onnx']);
  assert.deepEqual(REPO_FILES.filter(defaultModelFiles('qint8_avx512_vnni')), [
    ...CONFIGS,
    'onnx/model_qint8_avx512_vnni.onnx',
  ]);
  assert.equal(defaultModelFiles('O4')('onnx/model_O4.onnx_data'), true);
  assert.equal(defaultModelFiles('O4')('onnx/model.onnx_data'), false);
  assert.equal(onnxModelFile('quint8_avx2'), 'onnx/model_quint8_avx2.onnx');
  assert.throws(() => defaultModelFiles('../x'), /invalid ONNX variant/);
});
