/**
 * BERT's tokenization (normalizer, pre-tokenizer, WordPiece) exactly as sentence-transformers runs it
 * through Hugging Face's Rust `tokenizers`.
 *
 * Why by hand: Hugging Face's tokenizers.js tokenizes 6-17k short passages/s on one thread, depending
 * on the host (bench/encoder/tokenize.ts), so a GPU worker embedding ~28k passages/s needed several CPU
 * threads just to tokenize; and it disagrees with the Rust library on characters outside the BMP's
 * common scripts (see bert-unicode.ts). Plain ASCII text, which most English passages are, takes a
 * few plain rules on char codes (lower-case, split on whitespace and ASCII punctuation, greedy
 * longest-match WordPiece), ~7x faster than the general pipeline. Other text goes character by
 * character through the Rust library's own Unicode tables. Added tokens such as "[SEP]" in the text
 * are matched first, as the Rust library does; tokenizers.js keeps only what this does not model
 * (added tokens matched after normalizing or with strip/word options), and other pipelines.
 * bert-wordpiece.test.ts checks the ids against the Rust library's on random text from all of Unicode.
 */

import {
  BertCharNormalizer,
  isBertPunctuation,
  isBertWhitespace,
  type BertNormalizerSettings,
} from './bert-unicode.ts';

/** The parts of a tokenizer.json this reads. */
interface TokenizerJson {
  readonly normalizer?: ({ type?: string } & BertNormalizerSettings) | null;
  readonly pre_tokenizer?: { type?: string } | null;
  readonly model?: {
    type?: string;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
    vocab?: Record<string, number>;
  };
  readonly added_tokens?: readonly AddedToken[];
}

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly normalized?: boolean;
  readonly lstrip?: boolean;
  readonly rstrip?: boolean;
  readonly single_word?: boolean;
}

const TAB = 9;
const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const TILDE = 126;

/** Per ASCII code: what the BERT normalizer and pre-tokenizer make of it. */
const enum CharKind {
  /** Outside the fast path: control characters other than tab, LF and CR, DEL. */
  Unhandled,
  Whitespace,
  /** Every printable ASCII character that is neither a letter nor a digit is a word of its own. */
  Punctuation,
  WordChar,
}

const CHAR_KINDS: Uint8Array = (() => {
  const kinds = new Uint8Array(128).fill(CharKind.Unhandled);
  for (const code of [TAB, LINE_FEED, CARRIAGE_RETURN, SPACE]) kinds[code] = CharKind.Whitespace;
  for (let code = SPACE + 1; code <= TILDE; code++) {
    const alphanumeric = /[A-Za-z0-9]/.test(String.fromCharCode(code));
    kinds[code] = alphanumeric ? CharKind.WordChar : CharKind.Punctuation;
  }
  return kinds;
})();

/** A word longer than this (UTF-16 units) has more than max_input_chars_per_word code points: stop growing it. */
const wordCap = (maxWordChars: number) => 2 * maxWordChars + 2;

export class BertWordPiece {
  private readonly normalizer: BertCharNormalizer;
  private readonly lowercase: boolean;

  private constructor(
    /** Pieces that may start a word. */
    private readonly wordStarts: ReadonlyMap<string, number>,
    /** Pieces that may continue a word, without their "##" prefix. */
    private readonly continuations: ReadonlyMap<string, number>,
    private readonly unknownId: number,
    private readonly maxWordChars: number,
    /** The longest piece in the vocabulary, in characters: no match can be longer. */
    private readonly maxPieceChars: number,
    normalizer: BertNormalizerSettings,
    /** Added tokens matched in the raw text, before normalizing: split out here. */
    private readonly rawAddedTokens: readonly AddedToken[],
    /** Added tokens with options this does not model: a text with one goes to tokenizers.js. */
    private readonly otherAddedTokens: readonly AddedToken[],
  ) {
    this.normalizer = new BertCharNormalizer(normalizer);
    this.lowercase = this.normalizer.lowercase;
  }

  /**
   * BERT tokenization for a tokenizer.json, or undefined when its pipeline is not exactly BERT's
   * (BERT normalizer, BERT pre-tokenizer, WordPiece with "##" continuations).
   */
  static fromTokenizerJson(json: Record<string, unknown>): BertWordPiece | undefined {
    const {
      normalizer,
      pre_tokenizer: preTokenizer,
      model,
      added_tokens: added = [],
    } = json as TokenizerJson;
    const bert =
      normalizer?.type === 'BertNormalizer' &&
      preTokenizer?.type === 'BertPreTokenizer' &&
      model?.type === 'WordPiece' &&
      model.continuing_subword_prefix === '##' &&
      model.vocab !== undefined &&
      model.unk_token !== undefined &&
      model.vocab[model.unk_token] !== undefined;
    if (!bert) return undefined;
    const wordStarts = new Map<string, number>();
    const continuations = new Map<string, number>();
    let maxPieceChars = 0;
    for (const [token, id] of Object.entries(model.vocab!)) {
      const continuation = token.startsWith('##');
      const piece = continuation ? token.slice(2) : token;
      (continuation ? continuations : wordStarts).set(piece, id);
      maxPieceChars = Math.max(maxPieceChars, piece.length);
    }
    const raw = (token: AddedToken) =>
      token.normalized !== true &&
      token.lstrip !== true &&
      token.rstrip !== true &&
      token.single_word !== true;
    return new BertWordPiece(
      wordStarts,
      continuations,
      model.vocab![model.unk_token!]!,
      model.max_input_chars_per_word ?? 100,
      maxPieceChars,
      normalizer,
      added.filter(raw),
      added.filter((token) => !raw(token)),
    );
  }

  /**
   * The content token ids of `text` (no [CLS]/[SEP]), stopping once `budget` ids are found, or
   * undefined when tokenizers.js must take the whole text. Stopping early is exact: words are
   * tokenized left to right, each on its own, so the first ids never depend on the text after them.
   */
  tryEncode(text: string, budget: number): number[] | undefined {
    if (this.needsLibrary(text)) return undefined;
    const ids: number[] = [];
    let at = 0;
    while (at < text.length && ids.length < budget) {
      const added = this.nextAddedToken(text, at);
      const end = added?.index ?? text.length;
      if (end > at) this.pushText(text.slice(at, end), budget, ids);
      if (added === undefined) break;
      ids.push(added.token.id);
      at = end + added.token.content.length;
    }
    return ids.length > budget ? ids.slice(0, budget) : ids;
  }

  /**
   * A text with an added token this does not model goes to tokenizers.js, in any case (matched after
   * normalizing, it may be written in capitals), and with any non-ASCII character (accent stripping
   * may make one appear).
   */
  private needsLibrary(text: string): boolean {
    if (this.otherAddedTokens.length === 0) return false;
    if (this.otherAddedTokens.some((token) => token.normalized === true) && !isPlainAscii(text)) return true;
    const lowered = text.toLowerCase();
    return this.otherAddedTokens.some(
      (token) => text.includes(token.content) || lowered.includes(token.content),
    );
  }

  /** The leftmost added token from `from`, the longest of those starting there (as the Rust library matches them). */
  private nextAddedToken(text: string, from: number): { index: number; token: AddedToken } | undefined {
    let best: { index: number; token: AddedToken } | undefined;
    for (const token of this.rawAddedTokens) {
      if (token.content === '') continue;
      const index = text.indexOf(token.content, from);
      if (index < 0 || (best !== undefined && index > best.index)) continue;
      if (best === undefined || index < best.index || token.content.length > best.token.content.length) {
        best = { index, token };
      }
    }
    return best;
  }

  /**
   * Text between added tokens. Plain ASCII takes the fast path whole; other text is cut at ASCII
   * whitespace, where BERT's normalizer and pre-tokenizer always split and which no normalization
   * crosses, so each stretch tokenizes as it would in the whole text: plain ASCII stretches here,
   * the others character by character.
   */
  private pushText(text: string, budget: number, ids: number[]): void {
    if (isPlainAscii(text)) {
      this.pushAsciiWords(this.lowercase ? text.toLowerCase() : text, budget, ids);
      return;
    }
    let start = 0;
    while (start < text.length && ids.length < budget) {
      if (CHAR_KINDS[text.charCodeAt(start)] === CharKind.Whitespace) {
        start += 1;
        continue;
      }
      let end = start + 1;
      while (end < text.length && CHAR_KINDS[text.charCodeAt(end)] !== CharKind.Whitespace) end += 1;
      const segment = text.slice(start, end);
      if (isPlainAscii(segment)) {
        this.pushAsciiWords(this.lowercase ? segment.toLowerCase() : segment, budget, ids);
      } else {
        this.pushUnicodeWords(segment, budget, ids);
      }
      start = end;
    }
  }

  /** BERT's normalizer and pre-tokenizer character by character, then WordPiece on each word. */
  private pushUnicodeWords(segment: string, budget: number, ids: number[]): void {
    const cap = wordCap(this.maxWordChars);
    let word = '';
    const endWord = () => {
      if (word !== '') this.pushWord(word, 0, word.length, ids);
      word = '';
    };
    for (const char of segment) {
      if (ids.length >= budget) return;
      for (const normalized of this.normalizer.normalize(char)) {
        const cp = normalized.codePointAt(0)!;
        if (isBertWhitespace(cp)) {
          endWord();
        } else if (isBertPunctuation(cp)) {
          endWord();
          this.pushWord(normalized, 0, normalized.length, ids);
        } else if (word.length < cap) {
          word += normalized;
        }
      }
    }
    endWord();
  }

  /** BERT's pre-tokenizer and WordPiece over plain ASCII, already lower-cased where the model wants it. */
  private pushAsciiWords(source: string, budget: number, ids: number[]): void {
    let wordStart = -1;
    for (let i = 0; i <= source.length && ids.length < budget; i++) {
      const kind = i < source.length ? CHAR_KINDS[source.charCodeAt(i)] : CharKind.Whitespace;
      if (kind === CharKind.WordChar) {
        if (wordStart < 0) wordStart = i;
        continue;
      }
      if (wordStart >= 0) {
        this.pushWord(source, wordStart, i, ids);
        wordStart = -1;
      }
      if (kind === CharKind.Punctuation) this.pushWord(source, i, i + 1, ids);
    }
  }

  /** WordPiece: the longest vocabulary piece at each position; a word with an unknown rest is [UNK]. */
  private pushWord(source: string, start: number, end: number, ids: number[]): void {
    if (end - start > this.maxWordChars && codePointCount(source, start, end) > this.maxWordChars) {
      ids.push(this.unknownId);
      return;
    }
    const whole = this.wordStarts.get(source.slice(start, end));
    if (whole !== undefined) {
      ids.push(whole);
      return;
    }
    const firstPiece = ids.length;
    let at = start;
    while (at < end) {
      const pieces = at === start ? this.wordStarts : this.continuations;
      let id: number | undefined;
      let to = Math.min(end, at + this.maxPieceChars);
      for (; to > at; to--) {
        id = pieces.get(source.slice(at, to));
        if (id !== undefined) break;
      }
      if (id === undefined) {
        ids.length = firstPiece;
        ids.push(this.unknownId);
        return;
      }
      ids.push(id);
      at = to;
    }
  }
}

/** Characters as the Rust library counts them (max_input_chars_per_word): code points, not UTF-16 units. */
function codePointCount(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff || i === start || !isHighSurrogate(text.charCodeAt(i - 1))) count++;
  }
  return count;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Whether every character is one the fast path handles (printable ASCII, tab, LF, CR). */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || CHAR_KINDS[code] === CharKind.Unhandled) return false;
  }
  return true;
}
