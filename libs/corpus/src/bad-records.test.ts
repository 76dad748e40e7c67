import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ReadResult } from './corpus-record.ts';
import { openCorpus } from './open-corpus.ts';
import { RejectsWriter } from './rejects-writer.ts';
import { countsByKind } from './reject-summary.ts';
import { okRecords, tempFiles } from './testing/temp-corpus.ts';

const { dir, file } = tempFiles();

/** Reads a corpus the way the producer does: every result through the rejects file, then the summary. */
async function run(
  path: string,
): Promise<{ results: ReadResult[]; summary: string; rejectLines: unknown[] }> {
  const corpus = await openCorpus(path);
  const rejectsPath = `${dir}/${path.split('/').pop()}.rejects.jsonl`;
  const writer = await RejectsWriter.open(rejectsPath, { source: path });
  const results: ReadResult[] = [];
  for await (const result of corpus.read()) {
    results.push(result);
    await writer.add(result);
  }
  await writer.close();
  const rejectLines = readFileSync(rejectsPath, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return { results, summary: writer.summary(), rejectLines };
}

const TSV = Buffer.concat([
  Buffer.from('\ufeff0\tfirst line after a BOM\n'),
  Buffer.from('no separator on this line\n'),
  Buffer.from('1\t\n'),
  Buffer.from('2\t \t  \n'),
  Buffer.concat([Buffer.from('3\tbroken '), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from(' utf-8\n')]),
  Buffer.from('4\tzero\0filled\n'),
  Buffer.from('abc\tnon-numeric id\n'),
  Buffer.from('-5\tnegative id\n'),
  Buffer.from('1.5\tfractional id\n'),
  Buffer.from('18446744073709551616\tid out of range\n'),
  Buffer.from('6\tgood, with CRLF\r\n'),
  Buffer.from('\n'),
  Buffer.from('0\tduplicate of the first\n'),
  Buffer.from('7\tgood\tand with a tab\n'),
  Buffer.from('8\tlast line without newline'),
]);

const TSV_COUNTS = {
  'no-separator': 1,
  'empty-text': 2,
  'invalid-utf8': 1,
  'nul-byte': 1,
  'bad-id': 3,
  'id-out-of-range': 1,
  'duplicate-id': 1,
};
const TSV_GOOD = [
  ['0', 'first line after a BOM'],
  ['6', 'good, with CRLF'],
  ['7', 'good\tand with a tab'],
  ['8', 'last line without newline'],
];

describe('a corpus with every kind of bad record', () => {
  test('TSV: exact counts by kind; the good records around the bad ones all come through', async () => {
    const { results, summary, rejectLines } = await run(file('every.tsv', TSV));
    assert.deepEqual(countsByKind(results), TSV_COUNTS);
    assert.deepEqual(
      okRecords(results).map((r) => [r.id, r.text]),
      TSV_GOOD,
    );
    assert.equal(
      summary,
      'accepted 4, rejected 10 (no-separator 1, empty-text 2, invalid-utf8 1, nul-byte 1, bad-id 3, id-out-of-range 1, duplicate-id 1)',
    );
    assert.equal(rejectLines.length, 10);
    assert.deepEqual(
      rejectLines.map((r) => (r as { line: number }).line),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 13],
    );
  });

  test('TSV .gz, truncated: the same, plus one truncated-gzip reject', async () => {
    const gz = gzipSync(TSV);
    const whole = await run(file('every.tsv.gz', gz));
    assert.deepEqual(countsByKind(whole.results), TSV_COUNTS);
    // Cut in the trailer: every record is there, the stream is still reported as cut short.
    const cut = await run(file('every-cut.tsv.gz', gz.subarray(0, gz.length - 4)));
    assert.deepEqual(countsByKind(cut.results), { ...TSV_COUNTS, 'truncated-gzip': 1 });
    // The last line has no newline, so a stream cut short cannot tell it was complete: it goes with the reject.
    assert.deepEqual(
      okRecords(cut.results).map((r) => [r.id, r.text]),
      TSV_GOOD.slice(0, -1),
    );
    const last = cut.results.at(-1)!;
    assert.ok(!last.ok && last.rejected.kind === 'truncated-gzip' && last.rejected.line === 15);
    assert.match(cut.summary, /^accepted 3, rejected 11 \(.*duplicate-id 1, truncated-gzip 1\)$/);
  });

  test('JSONL: exact counts by kind; the good records around the bad ones all come through', async () => {
    const jsonl = Buffer.concat([
      Buffer.from('\ufeff{"id": 0, "text": "first, after a BOM", "source": "web"}\n'),
      Buffer.from('{"id": 1, "text": "unterminated\n'),
      Buffer.from('["an", "array"]\n'),
      Buffer.from('{"text": "no id"}\n'),
      Buffer.from('{"id": 2.5, "text": "fractional id"}\n'),
      Buffer.from('{"id": 123456789012345678901234, "text": "id out of range"}\n'),
      Buffer.from('{"id": 3}\n'),
      Buffer.from('{"id": 4, "text": 42}\n'),
      Buffer.from('{"id": 5, "text": "   "}\n'),
      Buffer.from('{"id": 6, "text": "nul \\u0000 escaped"}\n'),
      Buffer.concat([Buffer.from('{"id": 7, "text": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\n')]),
      Buffer.from('{"id": 8, "text": "good, with CRLF"}\r\n'),
      Buffer.from('\n'),
      Buffer.from('{"id": "0", "text": "duplicate of the first"}\n'),
      Buffer.from('{"id": 9, "text": "last line without newline"}'),
    ]);
    const { results, summary } = await run(file('every.jsonl', jsonl));
    assert.deepEqual(countsByKind(results), {
      'invalid-json': 1,
      'not-an-object': 1,
      'missing-id': 1,
      'bad-id': 1,
      'id-out-of-range': 1,
      'missing-text': 2,
      'empty-text': 1,
      'nul-byte': 1,
      'invalid-utf8': 1,
      'duplicate-id': 1,
    });
    assert.deepEqual(
      okRecords(results).map((r) => [r.id, r.text, r.payload]),
      [
        ['0', 'first, after a BOM', { source: 'web' }],
        ['8', 'good, with CRLF', null],
        ['9', 'last line without newline', null],
      ],
    );
    assert.match(summary, /^accepted 3, rejected 11 \(/);
  });
});
