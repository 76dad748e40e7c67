import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ReadResult, RejectedRecord } from './corpus-record.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { RejectsWriter } from './rejects-writer.ts';
import { countsByKind, formatSummary } from './reject-summary.ts';
import { tempFiles } from './testing/temp-corpus.ts';

const { dir, file } = tempFiles();

const reject = (line: number, kind: RejectedRecord['kind'], reason: string = kind): RejectedRecord => ({
  line,
  byteOffset: line * 10,
  kind,
  reason,
});

describe('RejectsWriter', () => {
  test('writes one JSON line per reject with source, line, byteOffset, kind and reason, and counts them', async () => {
    const path = `${dir}/rejects.jsonl`;
    const writer = await RejectsWriter.open(path, { source: '/data/collection.tsv' });
    const results: ReadResult[] = [
      { ok: true, record: { id: '1', text: 'a', line: 1, byteOffset: 0 } },
      { ok: false, rejected: reject(2, 'no-separator', 'no TAB between id and text: "x"') },
      { ok: false, rejected: reject(3, 'empty-text') },
      { ok: false, rejected: reject(4, 'empty-text') },
    ];
    for (const result of results) await writer.add(result);
    await writer.write(reject(9, 'truncated-gzip'));
    writer.countAccepted(4_989);
    await writer.close();
    assert.deepEqual(
      readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
      [
        {
          source: '/data/collection.tsv',
          line: 2,
          byteOffset: 20,
          kind: 'no-separator',
          reason: 'no TAB between id and text: "x"',
        },
        { source: '/data/collection.tsv', line: 3, byteOffset: 30, kind: 'empty-text', reason: 'empty-text' },
        { source: '/data/collection.tsv', line: 4, byteOffset: 40, kind: 'empty-text', reason: 'empty-text' },
        {
          source: '/data/collection.tsv',
          line: 9,
          byteOffset: 90,
          kind: 'truncated-gzip',
          reason: 'truncated-gzip',
        },
      ],
    );
    assert.deepEqual(writer.counts, { 'no-separator': 1, 'empty-text': 2, 'truncated-gzip': 1 });
    assert.equal(writer.total, 4);
    assert.equal(writer.accepted, 4_990);
    assert.equal(
      writer.summary(),
      'accepted 4,990, rejected 4 (no-separator 1, empty-text 2, truncated-gzip 1)',
    );
  });

  test('starts the file afresh (an empty file means no rejects), or appends when asked', async () => {
    const path = file('again.jsonl', 'stale line from an earlier run\n');
    const fresh = await RejectsWriter.open(path, { source: 's' });
    await fresh.close();
    assert.equal(readFileSync(path, 'utf8'), '');
    assert.equal(fresh.summary(), 'accepted 0, rejected 0');
    const first = await RejectsWriter.open(path, { source: 's' });
    await first.write(reject(1, 'bad-id'));
    await first.close();
    const second = await RejectsWriter.open(path, { source: 's', append: true });
    await second.write(reject(2, 'bad-id'));
    await second.close();
    assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 2);
  });

  test('streams: 50,000 awaited writes all land in the file', async () => {
    const path = `${dir}/many.jsonl`;
    const writer = await RejectsWriter.open(path, { source: 's' });
    for (let i = 1; i <= 50_000; i++) await writer.write(reject(i, 'invalid-json', 'x'.repeat(100)));
    await writer.close();
    assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 50_000);
    assert.equal(writer.summary(), 'accepted 0, rejected 50,000 (invalid-json 50,000)');
  });

  test('a rejects file that cannot be created is a CorpusError naming it', async () => {
    const path = `${dir}/no/such/folder/rejects.jsonl`;
    await assert.rejects(
      RejectsWriter.open(path, { source: 's' }),
      (error: unknown) => error instanceof CorpusError && error.message.startsWith(`${path}: cannot write`),
    );
  });
});

describe('countsByKind and formatSummary', () => {
  test('count rejects or read results by kind; the summary lists kinds in REJECT_KINDS order', () => {
    const counts = countsByKind([
      reject(1, 'duplicate-id'),
      { ok: false, rejected: reject(2, 'no-separator') },
      { ok: true, record: { id: '1', text: 'a', line: 3, byteOffset: 0 } },
      reject(4, 'no-separator'),
    ]);
    assert.deepEqual(counts, { 'duplicate-id': 1, 'no-separator': 2 });
    assert.equal(
      formatSummary(1_234_567, counts),
      'accepted 1,234,567, rejected 3 (no-separator 2, duplicate-id 1)',
    );
  });
});
