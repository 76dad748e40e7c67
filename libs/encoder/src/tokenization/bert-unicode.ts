/**
 * What Hugging Face's Rust `tokenizers` (the tokenizer sentence-transformers runs) makes of each
 * Unicode character in BERT's normalizer and pre-tokenizer.
 *
 * Why tables and not JavaScript's own Unicode: the Rust library decides "control", "punctuation",
 * "non-spacing mark", NFD and lowercase with the Unicode tables compiled into it, some of them
 * years older than V8's, and with rules of its own (a CJK range list with a gap, lowercasing char by
 * char so a final capital sigma becomes "σ", not "ς"). tokenizers.js follows JavaScript's Unicode and
 * misses CJK outside the BMP, so on text from all over Unicode it disagreed with sentence-transformers
 * on about a third of random texts. bert-unicode-tables.json holds the Rust library's own answer for
 * every code point (tools/reference/make_bert_unicode.py asks it, stage by stage, and checks that the
 * stages compose char by char as used here).
 */
import { readFileSync } from 'node:fs';

/** The tables as tools/reference/make_bert_unicode.py writes them. */
interface BertUnicodeTables {
  readonly tokenizers: string;
  readonly cleanTextRemoves: readonly (readonly [number, number])[];
  readonly cleanTextSpaces: readonly (readonly [number, number])[];
  readonly chinese: readonly (readonly [number, number])[];
  readonly stripAccentsRemoves: readonly (readonly [number, number])[];
  readonly stripAccentsMaps: readonly (readonly [number, string])[];
  readonly lowercaseMaps: readonly (readonly [number, string])[];
  readonly preTokenizerWhitespace: readonly (readonly [number, number])[];
  readonly preTokenizerPunctuation: readonly (readonly [number, number])[];
}

/** One bit per table a code point is in. */
const enum Flag {
  CleanRemoves = 1,
  CleanSpace = 2,
  Chinese = 4,
  StripRemoves = 8,
  StripMaps = 16,
  LowercaseMaps = 32,
  Whitespace = 64,
  Punctuation = 128,
}

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;

interface Lookup {
  readonly flags: Uint8Array;
  readonly stripMaps: ReadonlyMap<number, string>;
  readonly lowercaseMaps: ReadonlyMap<number, string>;
}

let lookup: Lookup | undefined;

/** Built on first use (1.1 MB of flags), so tokenizers of other pipelines never pay for it. */
function tables(): Lookup {
  if (lookup !== undefined) return lookup;
  const json = JSON.parse(
    readFileSync(new URL('./bert-unicode-tables.json', import.meta.url), 'utf8'),
  ) as BertUnicodeTables;
  const flags = new Uint8Array(0x110000);
  const mark = (ranges: readonly (readonly [number, number])[], flag: Flag) => {
    for (const [first, last] of ranges) for (let cp = first; cp <= last; cp++) flags[cp]! |= flag;
  };
  mark(json.cleanTextRemoves, Flag.CleanRemoves);
  mark(json.cleanTextSpaces, Flag.CleanSpace);
  mark(json.chinese, Flag.Chinese);
  mark(json.stripAccentsRemoves, Flag.StripRemoves);
  mark([[HANGUL_FIRST, HANGUL_LAST]], Flag.StripMaps);
  mark(json.preTokenizerWhitespace, Flag.Whitespace);
  mark(json.preTokenizerPunctuation, Flag.Punctuation);
  for (const [cp] of json.stripAccentsMaps) flags[cp]! |= Flag.StripMaps;
  for (const [cp] of json.lowercaseMaps) flags[cp]! |= Flag.LowercaseMaps;
  lookup = { flags, stripMaps: new Map(json.stripAccentsMaps), lowercaseMaps: new Map(json.lowercaseMaps) };
  return lookup;
}

/** BertNormalizer's settings, as tokenizer.json has them (`strip_accents: null` follows `lowercase`). */
export interface BertNormalizerSettings {
  readonly clean_text?: boolean;
  readonly handle_chinese_chars?: boolean;
  readonly strip_accents?: boolean | null;
  readonly lowercase?: boolean;
}

/** BERT's normalizer, one character at a time: the Rust library's stages compose char by char. */
export class BertCharNormalizer {
  private readonly cleanText: boolean;
  private readonly chineseChars: boolean;
  private readonly stripAccents: boolean;
  /** Whether it lower-cases (tokenizer.json's `lowercase`, true when absent): the ASCII fast path follows it. */
  readonly lowercase: boolean;
  private readonly lookup = tables();

  constructor(settings: BertNormalizerSettings) {
    this.cleanText = settings.clean_text ?? true;
    this.chineseChars = settings.handle_chinese_chars ?? true;
    this.lowercase = settings.lowercase ?? true;
    this.stripAccents = settings.strip_accents ?? this.lowercase;
  }

  /** What the normalizer makes of one character (one code point): often itself, maybe "", maybe more. */
  normalize(char: string): string {
    const flags = this.lookup.flags[char.codePointAt(0)!]!;
    if (this.cleanText && (flags & Flag.CleanRemoves) !== 0) return '';
    if (this.cleanText && (flags & Flag.CleanSpace) !== 0) return ' ';
    const stripped = this.stripAccents ? this.strip(char, flags) : char;
    const normalized = this.lowercase ? this.lower(stripped) : stripped;
    return this.chineseChars && (flags & Flag.Chinese) !== 0 ? ` ${normalized} ` : normalized;
  }

  private strip(char: string, flags: number): string {
    if ((flags & Flag.StripRemoves) !== 0) return '';
    if ((flags & Flag.StripMaps) === 0) return char;
    return this.lookup.stripMaps.get(char.codePointAt(0)!) ?? char.normalize('NFD');
  }

  private lower(text: string): string {
    let out = '';
    for (const char of text) {
      const cp = char.codePointAt(0)!;
      out += (this.lookup.flags[cp]! & Flag.LowercaseMaps) === 0 ? char : this.lookup.lowercaseMaps.get(cp)!;
    }
    return out;
  }
}

/** Whether BERT's pre-tokenizer splits at this code point (and drops it). */
export function isBertWhitespace(cp: number): boolean {
  return (tables().flags[cp]! & Flag.Whitespace) !== 0;
}

/** Whether BERT's pre-tokenizer makes this code point a word of its own. */
export function isBertPunctuation(cp: number): boolean {
  return (tables().flags[cp]! & Flag.Punctuation) !== 0;
}
