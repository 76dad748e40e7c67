/**
 * The API benchmark's texts, all from the Vaswani collection (data/vaswani), deterministic:
 * passages are the abstracts, and past the collection's ~11k a rotated copy of an abstract (its words
 * shifted by the lap number), so that every passage text, hence every vector, is distinct; queries are
 * the collection's own 93 topic titles plus 8-word windows of abstracts (short, as search queries are).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrecAbstracts } from '../encoder/passages.ts';
import { COLLECTION_TREC } from '../pipeline/corpora.ts';

const TOPICS_TREC = 'data/vaswani/query-text.trec';
const QUERY_WORDS = 8;

export function passageTexts(root: string, count: number): string[] {
  const abstracts = readTrecAbstracts(join(root, COLLECTION_TREC));
  return Array.from({ length: count }, (_, i) => {
    const abstract = abstracts[i % abstracts.length]!;
    const lap = Math.floor(i / abstracts.length);
    if (lap === 0) return abstract;
    const words = abstract.split(' ');
    const shift = lap % words.length;
    return [...words.slice(shift), ...words.slice(0, shift)].join(' ');
  });
}

export function queryTexts(root: string, count: number): string[] {
  const titles = [
    ...readFileSync(join(root, TOPICS_TREC), 'utf8').matchAll(/<title>\s*([\s\S]*?)\s*<\/title>/g),
  ].map((m) => m[1]!.replace(/\s+/g, ' ').toLowerCase());
  const abstracts = readTrecAbstracts(join(root, COLLECTION_TREC));
  const queries = [...titles];
  for (let i = 0; queries.length < count && i < abstracts.length; i++) {
    const words = abstracts[(i * 7919) % abstracts.length]!.toLowerCase().split(' ');
    const start = (i * 13) % Math.max(1, words.length - QUERY_WORDS);
    queries.push(words.slice(start, start + QUERY_WORDS).join(' '));
  }
  return queries.slice(0, count);
}
