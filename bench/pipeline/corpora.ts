/**
 * The corpora the pipeline benchmarks ingest: MS MARCO-style `pid<TAB>passage` files of real English
 * from the Vaswani collection, with distinct numeric ids, cached under bench/out/pipeline/corpora/
 * (gitignored) and rebuilt only when missing. Written to a temporary name and renamed, so a run
 * interrupted while writing never leaves a short corpus behind that a later run would trust.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { buildPassages, readTrecAbstracts, type TokenStats } from '../encoder/passages.ts';

export const COLLECTION_TREC = 'data/vaswani/doc-text.trec';

export interface CorpusFile {
  readonly path: string;
  readonly passages: number;
  /** How the texts were made, for the report. */
  readonly description: string;
  readonly tokenStats?: TokenStats;
  /** Tokens per passage as the model sees them, in corpus order (where the model's tokenizer was run). */
  readonly tokenLengths?: readonly number[];
}

/**
 * The encoder benchmark's texts (abstracts cut to MS MARCO-like token lengths with the model's
 * tokenizer, median ~60 tokens), so pipeline and encoder-only figures are comparable with
 * bench/encoder's. Used where the encoder's cost matters (pipeline overhead).
 */
export async function marcoLikeCorpus(
  root: string,
  dir: string,
  count: number,
  modelDir: string,
  modelName: string,
) {
  const built = buildPassages(count, readTrecAbstracts(join(root, COLLECTION_TREC)), modelDir);
  const path = join(dir, `marco-like-${modelName}-${count}.tsv`);
  if (!existsSync(path)) {
    await writeLines(path, built.passages.length, (i) => `${i + 1}\t${built.passages[i]!.text}`);
  }
  return {
    path,
    passages: count,
    description: `${count.toLocaleString('en-US')} Vaswani abstracts cut to MS MARCO-like lengths (bench/encoder/passages.ts, ${modelName} tokenizer)`,
    tokenStats: built.stats,
    tokenLengths: built.passages.map((p) => p.tokens),
  } satisfies CorpusFile;
}

/**
 * The Vaswani abstracts as they are (~300 bytes, ~50 words each), repeated in order with distinct
 * ids until `count`: cheap to make at any size (1M passages: ~330 MB). Used where the encoder is
 * nearly free (plumbing ceiling, scale) and only the bytes moved matter.
 */
export async function abstractsCorpus(root: string, dir: string, count: number): Promise<CorpusFile> {
  const path = join(dir, `abstracts-${count}.tsv`);
  if (!existsSync(path)) {
    const abstracts = readTrecAbstracts(join(root, COLLECTION_TREC));
    await writeLines(path, count, (i) => `${i + 1}\t${abstracts[i % abstracts.length]!}`);
  }
  return {
    path,
    passages: count,
    description: `${count.toLocaleString('en-US')} Vaswani abstracts (11,429 distinct texts, repeated in order with distinct ids; ~300 bytes each)`,
  };
}

/**
 * Writes `count` lines, `line(0)` to `line(count - 1)` in that order, each ended by a newline, a block at a
 * time (memory is one block at any size), to a temporary name renamed to `path` when complete.
 */
export async function writeLines(
  path: string,
  count: number,
  line: (index: number) => string,
): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  let chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(line(i));
    if (chunk.length === 4096 || i === count - 1) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, path);
}

/** `pid<TAB>text` lines of a corpus file, in order (for the encoder-only baseline). */
export function parseTsvTexts(content: string): string[] {
  const texts: string[] = [];
  for (const line of content.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) texts.push(line.slice(tab + 1));
  }
  return texts;
}
