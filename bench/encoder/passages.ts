/**
 * The benchmark texts: real English (the Vaswani collection's abstracts) cut to MS MARCO-like
 * lengths. Target lengths in tokens ([CLS]/[SEP] included) are drawn from a seeded log-normal
 * (median 60, sigma 0.65), clipped to [8, 420], and each passage takes the next words of the
 * abstracts, in collection order, until it reaches its target. The few targets above the model's
 * 384 tokens exercise truncation. Same seed, same collection, same tokenizer: same file, byte for byte.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TextTokenizer, loadModelSpec } from '@embedline/encoder';
import { seededRandom } from '@embedline/testing';

export const PASSAGE_DEFAULTS = {
  seed: 20250601,
  medianTokens: 60,
  sigma: 0.65,
  minTokens: 8,
  maxTokens: 420,
} as const;

export interface Passage {
  readonly id: number;
  readonly text: string;
  /** Token count as the model sees it: [CLS]/[SEP] included, after truncation at max_seq_length. */
  readonly tokens: number;
}

export interface TokenStats {
  readonly total: number;
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Passages whose text is longer than max_seq_length tokens (truncated by every system). */
  readonly truncated: number;
  readonly maxSeqLength: number;
}

/** The abstracts of a TREC file (`<DOC><DOCNO>n</DOCNO> text </DOC>`), whitespace collapsed. */
export function readTrecAbstracts(path: string): string[] {
  const docs: string[] = [];
  const re = /<DOC>\s*<DOCNO>[^<]*<\/DOCNO>([\s\S]*?)<\/DOC>/g;
  const source = readFileSync(path, 'utf8');
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const text = m[1]!.replace(/\s+/g, ' ').trim();
    if (text !== '') docs.push(text);
  }
  return docs;
}

export function buildPassages(
  count: number,
  abstracts: readonly string[],
  modelDir: string,
): { passages: Passage[]; stats: TokenStats } {
  const spec = loadModelSpec(modelDir);
  const tokenizer = new TextTokenizer(spec);
  const words = abstracts.join(' ').split(' ');
  if (words.length === 0) throw new Error('no words in the collection');
  // BERT's pre-tokenizer splits on whitespace first, so a text's token count is the sum of its
  // words' counts plus [CLS]/[SEP]; the final count is checked on the whole text below.
  const wordTokens = new Map<string, number>();
  const tokensOf = (word: string): number => {
    let n = wordTokens.get(word);
    if (n === undefined) {
      n = tokenizer.encode(word).length - 2;
      wordTokens.set(word, n);
    }
    return n;
  };
  const random = seededRandom(PASSAGE_DEFAULTS.seed);
  const gaussian = (): number => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const { medianTokens, sigma, minTokens, maxTokens } = PASSAGE_DEFAULTS;
  const passages: Passage[] = [];
  let cursor = 0;
  let truncated = 0;
  for (let id = 0; id < count; id++) {
    const target = Math.min(
      maxTokens,
      Math.max(minTokens, Math.round(medianTokens * Math.exp(sigma * gaussian()))),
    );
    const taken: string[] = [];
    let length = 2;
    while (length < target) {
      const word = words[cursor % words.length]!;
      cursor++;
      taken.push(word);
      length += tokensOf(word);
    }
    const text = taken.join(' ');
    if (length > spec.maxSeqLength) truncated++;
    passages.push({ id, text, tokens: tokenizer.encode(text).length });
  }
  return {
    passages,
    stats: tokenStats(
      passages.map((p) => p.tokens),
      spec.maxSeqLength,
      truncated,
    ),
  };
}

export function tokenStats(lengths: readonly number[], maxSeqLength: number, truncated: number): TokenStats {
  const sorted = [...lengths].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const total = sorted.reduce((sum, n) => sum + n, 0);
  return {
    total,
    min: sorted[0] ?? 0,
    median: at(0.5),
    mean: total / Math.max(1, sorted.length),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    truncated,
    maxSeqLength,
  };
}

/** Writes the JSONL file unless it already holds exactly these passages; returns whether it wrote. */
export function writePassages(path: string, passages: readonly Passage[]): boolean {
  const content = passages.map((p) => JSON.stringify(p)).join('\n') + '\n';
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  writeFileSync(path, content);
  return true;
}
