import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelSpec } from '../model/model-spec.ts';
import { BertWordPiece } from './bert-wordpiece.ts';

/** A text's token ids as the model sees them, and whether the text had more than it reads. */
export interface TokenizedText<Ids extends ArrayLike<number> = number[]> {
  /** [CLS] ... [SEP], at most max_seq_length ids. */
  readonly ids: Ids;
  /** Longer than max_seq_length tokens: only the first were kept. A text of exactly that many is whole. */
  readonly truncated: boolean;
}

/**
 * Tokenizes text exactly as sentence-transformers feeds it to the model: BERT's pipeline as the Rust
 * `tokenizers` library runs it (bert-wordpiece.ts), or for other pipelines Hugging Face's tokenizers.js
 * (the one transformers.js uses), then truncation to `maxSeqLength` tokens including the template's
 * [CLS] and [SEP].
 *
 * Input that is not well-formed UTF-16 (a lone surrogate) is made well-formed first, with U+FFFD,
 * which BERT's normalizer then drops, as it drops NUL and other control characters: no text is
 * ever refused here.
 */
export class TextTokenizer {
  readonly maxSeqLength: number;
  private readonly tokenizer: Tokenizer;
  /** BERT's pipeline without tokenizers.js: the Rust library's ids, and faster; see bert-wordpiece.ts. */
  private readonly bert: BertWordPiece | undefined;
  private readonly lowerCaseInput: boolean;
  private readonly prefixIds: readonly number[];
  private readonly suffixIds: readonly number[];
  /** Longer texts are tokenized from a prefix first; see {@link contentIds}. */
  private readonly prefixChars: number;

  constructor(spec: Pick<ModelSpec, 'tokenizerJson' | 'tokenizerConfig' | 'maxSeqLength' | 'lowerCaseInput'>) {
    this.tokenizer = new Tokenizer(spec.tokenizerJson, spec.tokenizerConfig);
    this.bert = BertWordPiece.fromTokenizerJson(spec.tokenizerJson);
    this.maxSeqLength = spec.maxSeqLength;
    this.lowerCaseInput = spec.lowerCaseInput;
    // The template's special tokens around a text: [CLS] before and [SEP] after, for BERT-like models.
    const content: number[] = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const full: number[] = this.tokenizer.encode('a').ids;
    const at = full.findIndex((_, i) => content.every((id, j) => full[i + j] === id));
    this.prefixIds = full.slice(0, at);
    this.suffixIds = full.slice(at + content.length);
    this.prefixChars = Math.max(8192, this.maxSeqLength * 32);
  }

  /** Token ids of one text, special tokens included, at most `maxSeqLength` of them. */
  encode(text: string): number[] {
    return this.tokenize(text).ids;
  }

  /**
   * The ids `encode` gives, and whether the text was cut. Kept ids alone cannot tell a text of exactly
   * max_seq_length tokens from a longer one, and a tokenizer that stops early cannot either (what follows may
   * be only whitespace or characters the normalizer drops): so this tokenizes one content token past the
   * budget. Stopping later does not change the first ids (words are tokenized left to right, each on its own).
   */
  tokenize(text: string): TokenizedText {
    const budget = this.maxSeqLength - this.prefixIds.length - this.suffixIds.length;
    const prepared = this.prepare(text);
    const content = this.bert?.tryEncode(prepared, budget + 1) ?? this.contentIds(prepared, budget + 1);
    const truncated = content.length > budget;
    if (truncated) content.length = budget; // a fresh array: cut in place, no copy
    return { ids: [...this.prefixIds, ...content, ...this.suffixIds], truncated };
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  private prepare(text: string): string {
    const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
    return this.lowerCaseInput ? wellFormed.toLowerCase() : wellFormed;
  }

  /**
   * Tokenizing a 1 MB text only to keep its first 382 tokens would cost ~0.5 s. Every token but
   * [UNK] consumes at least one character and an ASCII space always ends a word (the normalizer and
   * pre-tokenizer work within words), so the tokens of a prefix cut at a space are the first tokens
   * of the whole text: if the prefix already yields enough tokens the rest is never looked at.
   */
  private contentIds(text: string, budget: number): number[] {
    if (text.length > this.prefixChars) {
      const cut = text.lastIndexOf(' ', this.prefixChars);
      if (cut > 0) {
        const ids = this.tokenizer.encode(text.slice(0, cut), { add_special_tokens: false }).ids;
        if (ids.length >= budget) return ids;
      }
    }
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }
}
