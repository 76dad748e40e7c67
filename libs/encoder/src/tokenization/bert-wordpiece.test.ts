import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Tokenizer } from '@huggingface/tokenizers';
import { seededRandom } from '@embedline/testing';
import { AsciiWordPiece } from './ascii-wordpiece.ts';

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

/**
 * Characters that BERT's normalizer and pre-tokenizer treat specially: accents (stripped), CJK (split
 * out), Unicode punctuation and spaces, controls and zero-width characters (dropped), a combining mark,
 * a final sigma, dotted capital I (two characters when lower-cased), an astral emoji, mojibake.
 */
const NON_ASCII = [
  'é',
  'É',
  'ñ',
  'ß',
  '’',
  '“',
  '—',
  '\u00a0',
  '中文',
  '\u0301',
  'ΟΔΟΣ',
  'İ',
  '😀',
  '\u200b',
  '\u3000',
  '\u0085',
  'â€™',
  '½',
  '°',
];

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

/** Random ASCII with non-ASCII characters sprinkled in, at word edges and inside words; no added tokens. */
function randomMixedText(next: () => number): string {
  const ascii = randomText(next).replaceAll('[', '(');
  let text = '';
  for (const char of ascii) {
    text += char;
    if (next() < 0.05) text += NON_ASCII[Math.floor(next() * NON_ASCII.length)]!;
  }
  return text;
}

describe('AsciiWordPiece', () => {
  const fast = AsciiWordPiece.fromTokenizerJson(bertJson)!;
  const library = new Tokenizer(bertJson, { do_lower_case: true });

  test('is built only for the BERT pipeline', () => {
    assert.ok(fast !== undefined);
    assert.equal(
      AsciiWordPiece.fromTokenizerJson({ ...bertJson, pre_tokenizer: { type: 'Whitespace' } }),
      undefined,
    );
    const model = bertJson['model'] as Record<string, unknown>;
    assert.equal(
      AsciiWordPiece.fromTokenizerJson({ ...bertJson, model: { ...model, type: 'BPE' } }),
      undefined,
    );
  });

  test('leaves non-ASCII, control characters and added tokens to tokenizers.js', () => {
    assert.equal(fast.tryEncode('café', BUDGET), undefined);
    assert.equal(fast.tryEncode('a\u0000b', BUDGET), undefined);
    assert.equal(fast.tryEncode('a\u007fb', BUDGET), undefined);
    assert.equal(fast.tryEncode('before [SEP] after', BUDGET), undefined);
    assert.deepEqual(fast.tryEncode('Hello, World!', BUDGET), [7592, 1010, 2088, 999]);
  });

  test('cut at ASCII whitespace, text with other characters gives the ids tokenizers.js gives', () => {
    const segments = (text: string) => libraryIds(library, text, Infinity);
    let split = 0;
    for (let seed = 1; seed <= 10_000; seed++) {
      const text = randomMixedText(seededRandom(seed));
      const ids = fast.tryEncode(text, BUDGET, segments);
      if (ids === undefined) continue;
      if ([...text].some((char) => char.charCodeAt(0) > 127)) split += 1;
      assert.deepEqual(ids, libraryIds(library, text), `seed ${seed}: ${JSON.stringify(text)}`);
    }
    // The rest have no non-ASCII character, or a long stretch that goes whole to tokenizers.js.
    assert.ok(split >= 8_000, `only ${split} of 10,000 texts with non-ASCII characters were split`);
    assert.equal(
      fast.tryEncode(`a ${'中'.repeat(300)} b`, BUDGET, segments),
      undefined,
      'a long stretch goes whole',
    );
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
    const withAdded = AsciiWordPiece.fromTokenizerJson(json)!;
    const library = new Tokenizer(json, { do_lower_case: true });
    assert.equal(withAdded.tryEncode('cases of COVID19 rose', BUDGET), undefined);
    assert.ok(library.encode('cases of COVID19 rose', { add_special_tokens: false }).ids.includes(30522));
    assert.deepEqual(withAdded.tryEncode('cases rose', BUDGET), libraryIds(library, 'cases rose'));
  });

  test('stops at the budget with the first ids of the whole text', () => {
    const text = 'unbelievable tokenization '.repeat(200);
    assert.deepEqual(fast.tryEncode(text, 7), libraryIds(library, text, 7));
  });

  test('gives the ids tokenizers.js gives on every ASCII text of the reference corpora', () => {
    const lines = gunzipSync(readFileSync(fixture('reference/bert-base-uncased-tokens.jsonl.gz')))
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { text: string }).text);
    let fastPathed = 0;
    for (const text of lines) {
      const ids = fast.tryEncode(text, BUDGET);
      if (ids === undefined) continue;
      fastPathed += 1;
      assert.deepEqual(ids, libraryIds(library, text), JSON.stringify(text.slice(0, 80)));
    }
    assert.ok(
      fastPathed >= lines.length / 2,
      `only ${fastPathed} of ${lines.length} texts took the fast path`,
    );
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
      const fastPath = AsciiWordPiece.fromTokenizerJson(json)!;
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
