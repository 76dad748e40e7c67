import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tokenizerJsonFromVocab } from '../model/tokenizer-from-vocab.ts';
import { TextTokenizer } from './text-tokenizer.ts';

const bertDir = fileURLToPath(new URL('../../fixtures/bert-base-uncased/', import.meta.url));
const tokenizerConfig = { do_lower_case: true, model_max_length: 512 };
const tokenizerJson = JSON.parse(readFileSync(`${bertDir}tokenizer.json`, 'utf8')) as Record<string, unknown>;
const make = (maxSeqLength = 384, json = tokenizerJson) =>
  new TextTokenizer({ tokenizerJson: json, tokenizerConfig, maxSeqLength, lowerCaseInput: false });

describe('TextTokenizer on the bert-base-uncased vocabulary', () => {
  const tokenizer = make();

  test('wraps text in [CLS] ... [SEP], lower-cases, strips accents, splits punctuation and CJK', () => {
    assert.deepEqual(tokenizer.encode('Hello, World! Café 中文'), [101, 7592, 1010, 2088, 999, 7668, 1746, 1861, 102]);
  });

  test('empty and whitespace-only texts are [CLS] [SEP], as sentence-transformers feeds them', () => {
    assert.deepEqual(tokenizer.encode(''), [101, 102]);
    assert.deepEqual(tokenizer.encode(' \t\n '), [101, 102]);
  });

  test('NUL bytes and lone surrogates are dropped by the normalizer, never an error', () => {
    assert.deepEqual(tokenizer.encode('a\u0000b'), tokenizer.encode('ab'));
    assert.deepEqual(tokenizer.encode('x\ud800 y'), tokenizer.encode('x y'));
    assert.deepEqual(tokenizer.encode('\udfff'), [101, 102]);
  });

  test('a word longer than 100 characters becomes [UNK]', () => {
    assert.deepEqual(tokenizer.encode(`${'a'.repeat(101)} b`), [101, 100, 1038, 102]);
  });

  test('truncates to max_seq_length including [CLS] and [SEP]', () => {
    const ids = tokenizer.encode('word '.repeat(1000));
    assert.equal(ids.length, 384);
    assert.equal(ids[0], 101);
    assert.equal(ids[383], 102);
    assert.deepEqual(make(8).encode('one two three four five six seven eight nine'), [
      101, 2028, 2048, 2093, 2176, 2274, 2416, 102,
    ]);
  });

  test('the prefix shortcut for long texts gives the same ids as tokenizing everything', () => {
    const words = readFileSync(`${bertDir}vocab.txt`, 'utf8').split('\n').slice(2000, 2600);
    const long = Array.from({ length: 40 }, (_, i) => words.slice(i * 15, i * 15 + 15).join(' ')).join('. ');
    const long1mb = `${long} `.repeat(Math.ceil(1_000_000 / long.length));
    for (const max of [16, 384, 512]) {
      const shortcut = make(max).encode(long1mb);
      const full = make(max).encode(long1mb.replaceAll(' ', '\u00a0'));
      // U+00A0 is whitespace to BERT but not the shortcut's cut character, so it forces the slow path.
      assert.deepEqual(shortcut, full);
    }
  });

  test('a 1 MB text without spaces still works (falls back to whole-text tokenization)', () => {
    const ids = tokenizer.encode('中'.repeat(1_000_000));
    assert.equal(ids.length, 384);
  });
});

describe('tokenizer built from vocab.txt alone', () => {
  test('matches the tokenizer.json one on real text and edge cases', () => {
    const fromVocab = make(384, tokenizerJsonFromVocab(`${bertDir}vocab.txt`, tokenizerConfig));
    const reference = make();
    const trec = readFileSync(new URL('../../../../data/vaswani/doc-text.trec', import.meta.url), 'utf8');
    const docs = trec.split('</DOC>').slice(0, 500).map((doc) => doc.replace(/<[^>]+>/g, ' '));
    const edge = ['[CLS] literal [SEP] and [MASK]', 'Ångström naïve façade', 'emoji 🙂 ok', 'tab\there', '...!?--'];
    for (const text of [...docs, ...edge]) assert.deepEqual(fromVocab.encode(text), reference.encode(text), text);
  });
});
