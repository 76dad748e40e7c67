/**
 * A fast path for BERT tokenization of plain ASCII text, which most English passages are.
 *
 * Why by hand: Hugging Face's tokenizers.js tokenizes 6-17k short passages/s on one thread, depending
 * on the host (bench/encoder/tokenize.ts), so a GPU worker embedding ~28k passages/s needed several CPU
 * threads just to tokenize. For ASCII text the BERT pipeline is a few plain rules (lower-case, split on
 * whitespace and ASCII punctuation, greedy longest-match WordPiece), which run ~7x faster on char codes
 * than the general Unicode pipeline. Anything outside those rules goes to tokenizers.js: a word with
 * a non-ASCII or control character on its own, a text with an added token such as "[SEP]" whole.
 * ascii-wordpiece.test.ts checks the ids against tokenizers.js on the fixture corpora and on random
 * ASCII and mixed texts, so the two never disagree.
 */

/** The parts of a tokenizer.json this fast path reads. */
interface TokenizerJson {
  readonly normalizer?: { type?: string; clean_text?: boolean; lowercase?: boolean } | null;
  readonly pre_tokenizer?: { type?: string } | null;
  readonly model?: {
    type?: string;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
    vocab?: Record<string, number>;
  };
  readonly added_tokens?: readonly { content: string; normalized?: boolean }[];
}

const TAB = 9;
const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const TILDE = 126;
/**
 * A stretch between ASCII whitespace with a non-ASCII character goes to tokenizers.js on its own (see
 * tryEncode); past this many characters the whole text does, where truncation cuts the work short.
 */
const MAX_SEGMENT_CHARS = 256;

/** Token ids of one stretch of text without ASCII whitespace, from tokenizers.js. */
export type SegmentTokenizer = (segment: string) => readonly number[];

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

export class AsciiWordPiece {
  private constructor(
    /** Pieces that may start a word. */
    private readonly wordStarts: ReadonlyMap<string, number>,
    /** Pieces that may continue a word, without their "##" prefix. */
    private readonly continuations: ReadonlyMap<string, number>,
    private readonly unknownId: number,
    private readonly maxWordChars: number,
    /** The longest piece in the vocabulary, in characters: no match can be longer. */
    private readonly maxPieceChars: number,
    private readonly lowercase: boolean,
    private readonly addedTokens: readonly string[],
    /** Added tokens matched after normalizing, which accent stripping could make appear: mixed text is then not split. */
    private readonly normalizedAddedTokens: boolean,
  ) {}

  /**
   * The fast path for a tokenizer.json, or undefined when its pipeline is not exactly BERT's (BERT
   * normalizer that cleans text, BERT pre-tokenizer, WordPiece with "##" continuations).
   */
  static fromTokenizerJson(json: Record<string, unknown>): AsciiWordPiece | undefined {
    const {
      normalizer,
      pre_tokenizer: preTokenizer,
      model,
      added_tokens: added = [],
    } = json as TokenizerJson;
    const bert =
      normalizer?.type === 'BertNormalizer' &&
      normalizer.clean_text === true &&
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
    return new AsciiWordPiece(
      wordStarts,
      continuations,
      model.vocab![model.unk_token!]!,
      model.max_input_chars_per_word ?? 100,
      maxPieceChars,
      normalizer.lowercase !== false,
      added.map((token) => token.content),
      added.some((token) => token.normalized === true),
    );
  }

  /**
   * The content token ids of `text` (no [CLS]/[SEP]), stopping once `budget` ids are found, or
   * undefined when tokenizers.js must take the whole text. Stopping early is exact: words are
   * tokenized left to right, each on its own, so the first ids never depend on the text after them.
   *
   * Plain ASCII text is tokenized here. Given `tokenizeSegment`, so is text with other characters: it
   * is cut at ASCII whitespace, where BERT's normalizer and pre-tokenizer always split and which no
   * normalization crosses, so each stretch tokenizes as it would in the whole text; stretches of plain
   * ASCII are tokenized here, the others by `tokenizeSegment`.
   */
  tryEncode(text: string, budget: number, tokenizeSegment?: SegmentTokenizer): number[] | undefined {
    const lowered = this.lowercase ? text.toLowerCase() : text;
    // tokenizers.js matches added tokens (such as "[SEP]") before normalizing, or after it for those
    // marked `normalized`: any of them in either form sends the text to tokenizers.js.
    if (this.addedTokens.some((token) => text.includes(token) || lowered.includes(token))) return undefined;
    const ids: number[] = [];
    if (isPlainAscii(text)) {
      this.pushAsciiWords(lowered, budget, ids);
    } else if (tokenizeSegment === undefined || this.normalizedAddedTokens) {
      return undefined;
    } else if (!this.pushSegments(text, budget, ids, tokenizeSegment)) {
      return undefined;
    }
    return ids.length > budget ? ids.slice(0, budget) : ids;
  }

  /**
   * Text with other characters than plain ASCII, stretch by stretch between ASCII whitespace; false
   * when a stretch to leave to tokenizers.js is longer than MAX_SEGMENT_CHARS.
   */
  private pushSegments(
    text: string,
    budget: number,
    ids: number[],
    tokenizeSegment: SegmentTokenizer,
  ): boolean {
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
      } else if (segment.length > MAX_SEGMENT_CHARS) {
        return false;
      } else {
        for (const id of tokenizeSegment(segment)) ids.push(id);
      }
      start = end;
    }
    return true;
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
    if (end - start > this.maxWordChars) {
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

/** Whether every character is one the fast path handles (printable ASCII, tab, LF, CR). */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || CHAR_KINDS[code] === CharKind.Unhandled) return false;
  }
  return true;
}
