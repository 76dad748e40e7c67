import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Tokenizer } from '@huggingface/tokenizers';
import { seededRandom } from '@embedline/testing';
import { BertWordPiece } from './bert-wordpiece.ts';

const fixture = (path: string) => fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(fixture(path), 'utf8')) as Record<string, unknown>;
const bertJson = readJson('bert-base-uncased/tokenizer.json');
const BUDGET = 382;

/** What tokenizers.js gives, cut to the budget: the ids the fast path must reproduce. */
function libraryIds(tokenizer: Tokenizer, text: string, budget = BUDGET): number[] {
  return tokenizer.encode(text, { add_special_tokens: false }).ids.slice(0, budget);
}

const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''),
  ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'.split(''),
  ' ',
  ' ',
  ' ',
  '\t',
  '\n',
  '\r',
];
const FRAGMENTS = [
  'the ',
  'un',
  'believ',
  'able',
  'ing ',
  "don't ",
  'e-mail',
  '3.14',
  '[SEP]',
  '[sep]',
  '[UNK] ',
  '##ing',
];

/** One line of a reference file: a text and the ids Hugging Face's Rust tokenizer gives it. */
interface ReferenceLine {
  readonly text: string;
  readonly input_ids: number[];
  readonly setting?: string;
  readonly normalizer?: Record<string, unknown>;
}

function referenceLines(path: string): ReferenceLine[] {
  return gunzipSync(readFileSync(fixture(path)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ReferenceLine);
}

/** The content ids of a reference line: [CLS] and [SEP] off. */
const contentIds = (line: ReferenceLine) => line.input_ids.slice(1, -1);

/** Random ASCII built to hit the rules' edges: punctuation runs, subwords, added tokens, long words. */
function randomText(next: () => number): string {
  const parts: string[] = [];
  const length = Math.floor(next() * 60);
  for (let i = 0; i < length; i++) {
    const roll = next();
    if (roll < 0.3) parts.push(FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!);
    else if (roll < 0.32) parts.push('x'.repeat(95 + Math.floor(next() * 10)));
    else parts.push(ALPHABET[Math.floor(next() * ALPHABET.length)]!);
  }
  return parts.join('');
}

describe('BertWordPiece', () => {
  const fast = BertWordPiece.fromTokenizerJson(bertJson)!;
  const library = new Tokenizer(bertJson, { do_lower_case: true });

  test('is built only for the BERT pipeline', () => {
    assert.ok(fast !== undefined);
    assert.equal(
      BertWordPiece.fromTokenizerJson({ ...bertJson, pre_tokenizer: { type: 'Whitespace' } }),
      undefined,
    );
    const model = bertJson['model'] as Record<string, unknown>;
    assert.equal(
      BertWordPiece.fromTokenizerJson({ ...bertJson, model: { ...model, type: 'BPE' } }),
      undefined,
    );
  });

  test('tokenizes plain ASCII, other scripts, control characters and added tokens itself', () => {
    assert.deepEqual(fast.tryEncode('Hello, World!', BUDGET), [7592, 1010, 2088, 999]);
    assert.deepEqual(fast.tryEncode('café', BUDGET), libraryIds(library, 'café'));
    assert.deepEqual(fast.tryEncode('a\u0000b\u007fc', BUDGET), libraryIds(library, 'abc'));
    // Added tokens are matched in the raw text first, in a word too; lower-case ones are not added tokens.
    assert.deepEqual(fast.tryEncode('foo[SEP]bar [MASK]', BUDGET), [29379, 102, 3347, 103]);
    assert.deepEqual(fast.tryEncode('[sep]', BUDGET), libraryIds(library, '[sep]'));
  });

  test("gives the Rust library's ids where tokenizers.js does not (ids from Python's tokenizers 0.23.3)", () => {
    // A final capital sigma lower-cases to σ, char by char, not to ς.
    assert.deepEqual(
      fast.tryEncode('ΟΔΥΣΣΕΥΣ', BUDGET),
      [1169, 29722, 29735, 29733, 29733, 29723, 29735, 29733],
    );
    // CJK outside the BMP is split out like any CJK character.
    assert.deepEqual(fast.tryEncode('𠀀x𠀁', BUDGET), [100, 1060, 100]);
    // Characters newer than the Rust library's Unicode tables are plain word characters to it.
    assert.deepEqual(fast.tryEncode('a\u0890b', BUDGET), [100]);
    assert.deepEqual(fast.tryEncode('x\u2e43y', BUDGET), [100]);
    assert.deepEqual(fast.tryEncode('Ǆemal ﬁx ℌ', BUDGET), [100, 1984, 2595, 100]);
  });

  test("gives the Rust library's ids on random text from all of Unicode, under four normalizer settings", () => {
    const lines = referenceLines('reference/bert-unicode-tokens.jsonl.gz');
    const settings = new Map<string, BertWordPiece>();
    for (const line of lines) {
      const setting = line.setting!;
      if (!settings.has(setting)) {
        const json = { ...bertJson, normalizer: { type: 'BertNormalizer', ...line.normalizer } };
        settings.set(setting, BertWordPiece.fromTokenizerJson(json)!);
      }
      const ids = settings.get(setting)!.tryEncode(line.text, BUDGET);
      assert.deepEqual(ids, contentIds(line), `${setting}: ${JSON.stringify(line.text)}`);
    }
    assert.equal(settings.size, 4);
    assert.ok(lines.length >= 4 * 1000, `${lines.length} lines`);
  });

  test("counts a word's characters in code points, as the Rust library does", () => {
    // 60 astral letters: 120 UTF-16 units but 60 characters, under the 100-character limit.
    const astral = '𝐚'.repeat(60);
    assert.deepEqual(fast.tryEncode(astral, BUDGET), libraryIds(library, astral));
    assert.deepEqual(fast.tryEncode('é'.repeat(101), BUDGET), [100]);
  });

  test('leaves texts with an added token matched after normalizing (any case) to tokenizers.js', () => {
    const added = [...(bertJson['added_tokens'] as object[])];
    added.push({
      id: 30522,
      content: 'covid19',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: false,
    });
    const json = { ...bertJson, added_tokens: added };
    const withAdded = BertWordPiece.fromTokenizerJson(json)!;
    const library = new Tokenizer(json, { do_lower_case: true });
    assert.equal(withAdded.tryEncode('cases of COVID19 rose', BUDGET), undefined);
    assert.ok(library.encode('cases of COVID19 rose', { add_special_tokens: false }).ids.includes(30522));
    assert.deepEqual(withAdded.tryEncode('cases rose', BUDGET), libraryIds(library, 'cases rose'));
  });

  test('stops at the budget with the first ids of the whole text', () => {
    const text = 'unbelievable tokenization '.repeat(200);
    assert.deepEqual(fast.tryEncode(text, 7), libraryIds(library, text, 7));
  });

  test("gives the Rust library's ids on every text of the reference corpora", () => {
    const lines = referenceLines('reference/bert-base-uncased-tokens.jsonl.gz');
    for (const line of lines) {
      const ids = fast.tryEncode(line.text, BUDGET);
      assert.deepEqual(ids, contentIds(line), JSON.stringify(line.text.slice(0, 80)));
    }
    assert.ok(lines.length > 4000);
  });

  test('gives the ids tokenizers.js gives on 30,000 random ASCII texts, cased and uncased', () => {
    for (const [json, name] of [
      [bertJson, 'bert-base-uncased'],
      [readJson('tiny-model/tokenizer.json'), 'tiny-model (4k vocabulary)'],
      [
        { ...bertJson, normalizer: { ...(bertJson['normalizer'] as object), lowercase: false } },
        'a cased normalizer',
      ],
    ] as const) {
      const fastPath = BertWordPiece.fromTokenizerJson(json)!;
      const reference = new Tokenizer(json, { do_lower_case: true });
      for (let seed = 1; seed <= 10_000; seed++) {
        const text = randomText(seededRandom(seed));
        const ids = fastPath.tryEncode(text, BUDGET);
        if (ids === undefined) continue;
        assert.deepEqual(ids, libraryIds(reference, text), `${name}, seed ${seed}: ${JSON.stringify(text)}`);
      }
    }
  });
});
