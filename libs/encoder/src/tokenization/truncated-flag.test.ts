/**
 * TextTokenizer.tokenize's `truncated` against the check the query API used to run on every query: a second
 * tokenizer allowed one token more than max_seq_length (a text is cut when that one gives more than
 * max_seq_length ids), and against tokenizing the whole text. Texts are built to land on every side of the
 * boundary: exactly max_seq_length tokens, one more, a word whose pieces straddle it, much longer, non-ASCII,
 * empty, and exactly max_seq_length tokens followed by what the normalizer drops (the case that a tokenizer
 * merely noticing it stopped early would get wrong).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@embedline/testing';
import { TextTokenizer } from './text-tokenizer.ts';
import type { TokenizerWorkerConfig } from './tokenize-task.ts';
import { TokenizerPool } from './tokenizer-pool.ts';

const fixture = (path: string) => fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(fixture(path), 'utf8')) as Record<string, unknown>;
const bertJson = readJson('bert-base-uncased/tokenizer.json');
const tinyJson = readJson('tiny-model/tokenizer.json');

const config = (tokenizerJson: Record<string, unknown>, maxSeqLength: number): TokenizerWorkerConfig => ({
  tokenizerJson,
  tokenizerConfig: { do_lower_case: true, model_max_length: 512 },
  maxSeqLength,
  lowerCaseInput: false,
});

/** The same BERT pipeline behind a pre-tokenizer type the hand-written path does not take: tokenizers.js runs it. */
const libraryOnly = (json: Record<string, unknown>) => ({
  ...json,
  pre_tokenizer: { type: 'Sequence', pretokenizers: [json.pre_tokenizer] },
});

/** Words of one token and of several pieces (which straddle the boundary), non-ASCII, an added token, [UNK]. */
const UNITS = [
  'memory',
  'a',
  'embedline',
  'café',
  '中',
  'ünïcödé',
  'unbelievable',
  'e-mail',
  '3.14',
  '🙂',
  '[SEP]',
  'x'.repeat(150),
];
/** What BERT's normalizer drops or splits on: after exactly max_seq_length tokens they must leave a text whole. */
const NOTHING_MORE = ['', ' ', '   \t\n', '\u0000', '\u200b', '\ud800', '\u0301', ' \u0000 \u200b '];

/** Texts whose token counts surround `limit`, from repeated units, mixed units, and random fragments. */
function boundaryTexts(full: TextTokenizer, limit: number): string[] {
  const content = (text: string) => full.encode(text).length - 2;
  const texts = ['', ' ', '\u0000', 'a short query'];
  for (const unit of UNITS) {
    const per = Math.max(1, content(unit));
    const around = Math.floor((limit - 2) / per);
    for (let n = Math.max(0, around - 3); n <= around + 3; n++) {
      const repeated = Array.from({ length: n }, () => unit).join(' ');
      texts.push(repeated, `${repeated} memory`, `memory ${repeated}`);
    }
  }
  const exact = Array.from({ length: limit - 2 }, () => 'memory').join(' ');
  for (const tail of NOTHING_MORE) texts.push(exact + tail, `${exact}${tail} memory`);
  texts.push(`${exact} ${'memory '.repeat(200_000)}`); // a long text: the prefix shortcut's path
  const random = seededRandom(7);
  for (let i = 0; i < 300; i++) {
    const words = Math.floor(limit - 8 + random() * 16);
    texts.push(Array.from({ length: words }, () => UNITS[Math.floor(random() * UNITS.length)]!).join(' '));
  }
  return texts;
}

const cases = [
  { name: 'bert-base-uncased, max_seq_length 16', json: bertJson, limit: 16 },
  { name: 'bert-base-uncased, max_seq_length 384', json: bertJson, limit: 384 },
  { name: 'the bundled reference model, max_seq_length 384', json: tinyJson, limit: 384 },
  {
    name: 'bert-base-uncased through tokenizers.js, max_seq_length 16',
    json: libraryOnly(bertJson),
    limit: 16,
  },
];

for (const { name, json, limit } of cases) {
  describe(`truncated (${name})`, () => {
    const tokenizer = new TextTokenizer(config(json, limit));
    /** The check truncation.ts ran in the API: one token more than the model reads. */
    const oneMore = new TextTokenizer(config(json, limit + 1));
    const full = new TextTokenizer(config(json, 1_000_000));
    const texts = boundaryTexts(full, limit);

    test("agrees with the limit + 1 check and with the whole text, and the ids are encode()'s", () => {
      let cut = 0;
      let exact = 0;
      for (const text of texts) {
        const { ids, truncated } = tokenizer.tokenize(text);
        const label = JSON.stringify(text.slice(0, 60));
        assert.equal(truncated, oneMore.encode(text).length > limit, label);
        assert.equal(truncated, full.encode(text).length > limit, label);
        assert.deepEqual(ids, tokenizer.encode(text), label);
        if (truncated) cut += 1;
        if (!truncated && ids.length === limit) exact += 1;
      }
      assert.ok(
        cut > 20 && exact > 10,
        `both sides of the boundary were tried (${cut} cut, ${exact} exactly at it)`,
      );
    });

    test('exactly max_seq_length tokens is whole; one more, or a multi-piece word across the end, is cut', () => {
      assert.equal(full.encode('memory').length, 3, '"memory" is one token');
      const words = (n: number) => Array.from({ length: n }, () => 'memory').join(' ');
      assert.deepEqual(tokenizer.tokenize(words(limit - 2)), {
        ids: full.encode(words(limit - 2)),
        truncated: false,
      });
      assert.equal(tokenizer.tokenize(words(limit - 1)).truncated, true);
      assert.equal(full.encode('embedline').length, 5, '"embedline" is three pieces');
      assert.equal(tokenizer.tokenize(`${words(limit - 5)} embedline`).truncated, false);
      assert.equal(tokenizer.tokenize(`${words(limit - 4)} embedline`).truncated, true);
      assert.equal(tokenizer.tokenize(`${words(limit - 3)} embedline`).truncated, true);
      assert.equal(tokenizer.tokenize(`${words(limit - 2)} \u0000\u200b `).truncated, false);
      assert.equal(tokenizer.tokenize('').truncated, false);
    });

    describe('on the tokenizer pool', () => {
      let pool: TokenizerPool;
      before(async () => {
        pool = await TokenizerPool.start(config(json, limit), 2);
      });
      after(() => pool.close());

      test('every text gets the flag and the ids it gets on the calling thread', async () => {
        const pooled = await pool.tokenize(texts);
        assert.equal(pooled.length, texts.length);
        texts.forEach((text, i) => {
          const here = tokenizer.tokenize(text);
          assert.equal(pooled[i]!.truncated, here.truncated, `text ${i}`);
          assert.deepEqual([...pooled[i]!.ids], here.ids, `text ${i}`);
        });
      });
    });
  });
}
