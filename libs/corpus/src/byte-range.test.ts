import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ByteRange } from './byte-range.ts';
import type { ReadResult } from './corpus-record.ts';
import { openCorpus, type Corpus } from './open-corpus.ts';
import { collect, tempFiles } from './testing/temp-corpus.ts';

const { file } = tempFiles();

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const lf = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Corpora with everything that moves byte offsets: BOM, multi-byte text, CRLF, bad bytes, blank lines, no final newline. */
const CORPORA: Record<string, Buffer> = {
  'tricky.tsv': lf(
    BOM,
    '1\tmulti-byte 日本語 é 😀\n',
    '2\tcrlf line\r\n',
    'no tab at all\n',
    '\n',
    '3\t   \n',
    Buffer.from([0x34, 0x09, 0xff, 0xfe, 0x0a]),
    '5\ttabs\tinside\ttext\n',
    '06\tleading zero\n',
    '7\tnul \0 here\r\n',
    '1\tduplicate id\n',
    '8\tno final newline',
  ),
  'tricky.jsonl': lf(
    BOM,
    '{"id": 1, "text": "日本語 😀", "lang": "ja"}\r\n',
    '\n',
    '{"id": "two", "text": "crlf"}\r\n',
    '{broken\n',
    '  \n',
    Buffer.from('{"id": 3, "text": "\xff"}\n', 'latin1'),
    '[1, 2]\n',
    '{"id": 4}\n',
    '{"id": 5, "text": ""}\n',
    '{"id": 1, "text": "duplicate"}\n',
    '{"id": 6, "text": "no final newline"}',
  ),
  'tricky.trec': lf(
    BOM,
    '<DOC>\n<DOCNO>1</DOCNO>\nmulti-byte 日本語\r\nsecond line\n</DOC>\n',
    'stray text\n',
    '<DOC>\n<DOCNO>2</DOCNO>\n</DOC>\n',
    '\n',
    '<DOC>\n<DOCNO>3</DOCNO>\ncrlf\r\n</DOC>\r\n',
    '</DOC>\n',
    '<DOC>\nno docno\n</DOC>\n',
    '<DOC>\n<DOCNO>1</DOCNO>\nagain\n</DOC>\n',
    '<DOC>\n<DOCNO>4</DOCNO>\nunclosed\n',
    '<DOC>\n<DOCNO>5</DOCNO>\nlast, no final newline\n</DOC>',
  ),
};

const where = (r: ReadResult) => (r.ok ? r.record : r.rejected);

/** Reads consecutive ranges cut at `cuts`, passing firstLine as the producer would (from the full read). */
async function readInRanges(
  corpus: Corpus,
  full: readonly ReadResult[],
  cuts: readonly number[],
  size: number,
  withLines = true,
) {
  const edges = [0, ...cuts, size];
  const out: ReadResult[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const start = edges[i]!;
    const first = full.find((r) => where(r).byteOffset >= start);
    const range: ByteRange = {
      start,
      end: edges[i + 1]!,
      ...(withLines && first ? { firstLine: where(first).line } : {}),
    };
    out.push(...(await collect(corpus.read(range))));
  }
  return out;
}

describe('byte ranges partition a corpus exactly', () => {
  for (const [name, bytes] of Object.entries(CORPORA)) {
    test(`${name}: every set of record boundaries, as 1..N ranges, reads back the full read`, async () => {
      const path = file(name, bytes);
      const corpus = await openCorpus(path, { dedupe: false });
      const full = await collect(corpus.read());
      assert.ok(full.some((r) => !r.ok) && full.some((r) => r.ok));
      const size = statSync(path).size;
      const boundaries = [...new Set(full.map((r) => where(r).byteOffset))].filter((b) => b > 0);
      assert.ok(boundaries.length >= 9 && boundaries.length <= 12, `${boundaries.length} boundaries`);
      for (let mask = 0; mask < 1 << boundaries.length; mask++) {
        const cuts = boundaries.filter((_, i) => mask & (1 << i));
        assert.deepEqual(await readInRanges(corpus, full, cuts, size), full, `cut at ${cuts.join(', ')}`);
      }
    });
  }

  for (const name of ['tricky.tsv', 'tricky.jsonl']) {
    test(`${name}: cut at any byte, two ranges still read back the full read (lines unknown past the cut)`, async () => {
      const path = file(`any-${name}`, CORPORA[name]!);
      const corpus = await openCorpus(path, { dedupe: false });
      const full = await collect(corpus.read());
      const size = statSync(path).size;
      const withoutLine = (r: ReadResult) =>
        JSON.stringify(r.ok ? { ...r.record, line: 0 } : { ...r.rejected, line: 0 });
      for (let cut = 0; cut <= size; cut++) {
        const parts = await readInRanges(corpus, full, [cut], size, false);
        assert.deepEqual(parts.map(withoutLine), full.map(withoutLine), `cut at ${cut}`);
        // Line numbers are exact before the cut (and after one within the BOM), unknown (0) after it.
        for (const [i, r] of parts.entries()) {
          const line = where(r).line;
          assert.ok(line === where(full[i]!).line || (line === 0 && cut > 3), `cut at ${cut}: line ${line}`);
        }
      }
    });
  }

  test('the ranges a producer would cut (each starting at a record, ending at the next one) re-read the same records', async () => {
    const path = file(
      'shards.tsv',
      Array.from({ length: 1000 }, (_, i) => (i % 97 === 5 ? 'bad line' : `${i}\tpassage ${i} ✓`)).join('\n'),
    );
    const corpus = await openCorpus(path);
    const records = (await collect(corpus.read())).flatMap((r) => (r.ok ? [r.record] : []));
    const size = statSync(path).size;
    for (let first = 0; first < records.length; first += 128) {
      const shard = records.slice(first, first + 128);
      const end = first + 128 < records.length ? records[first + 128]!.byteOffset : size;
      const reread = (
        await collect(corpus.read({ start: shard[0]!.byteOffset, end, firstLine: shard[0]!.line }))
      ).flatMap((r) => (r.ok ? [r.record] : []));
      assert.deepEqual(reread, shard);
    }
  });
});
