import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CorpusError } from './errors/corpus-error.ts';
import { openCorpus } from './open-corpus.ts';
import { collect } from './testing/temp-corpus.ts';

/**
 * Files pyarrow wrote (tools/reference/make_table_fixtures.py: every Parquet codec and encoding it has, Arrow IPC
 * files and streams, LZ4 and ZSTD compressed, a Hugging Face datasets cache file, payload columns of many types)
 * read through openCorpus, compared exactly with what the generator says our readers must give.
 */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pyarrow');

interface Expected {
  readonly pyarrow: string;
  readonly files: Readonly<Record<string, string>>;
  readonly errors: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<string, readonly (readonly [string, string, unknown])[]>>;
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

describe('pyarrow-written Arrow IPC and Parquet files', () => {
  test('the fixture set covers Parquet and Arrow, compressed and not', () => {
    const names = Object.keys(expected.files);
    assert.ok(names.filter((n) => n.endsWith('.parquet')).length >= 12, names.join(', '));
    for (const needed of ['file-lz4.feather', 'file-zstd.arrow', 'stream-lz4.arrows', 'stream-zstd.arrows'])
      assert.ok(names.includes(needed), needed);
  });

  for (const [name, table] of Object.entries(expected.files)) {
    test(`${name} reads as pyarrow wrote it (${table} table)`, async () => {
      const corpus = await openCorpus(join(FIXTURES, name));
      const results = await collect(corpus.read());
      const rejected = results.flatMap((r) => (r.ok ? [] : [r.rejected]));
      assert.deepEqual(rejected, []);
      const records = results.flatMap((r) => (r.ok ? [[r.record.id, r.record.text, r.record.payload]] : []));
      assert.deepEqual(records, expected.tables[table]);
      // Payloads are JSON-safe: they travel in queue jobs.
      assert.deepEqual(JSON.parse(JSON.stringify(records)), records);
    });
  }

  test('with the title field, compressed Arrow and Parquet give the same records (titles are strings or null)', async () => {
    for (const name of [
      'file-lz4.feather',
      'stream-zstd.arrows',
      'codec-zstd.parquet',
      'large-string-zstd.arrow',
    ]) {
      const corpus = await openCorpus(join(FIXTURES, name), { titleField: 'title' });
      const results = await collect(corpus.read());
      assert.ok(
        results.every((r) => r.ok),
        name,
      );
      const records = results.flatMap((r) => (r.ok ? [[r.record.id, r.record.text, r.record.payload]] : []));
      assert.deepEqual(records, expected.tables[expected.files[name]!], name);
    }
  });

  for (const [name, problem] of Object.entries(expected.errors)) {
    test(`${name} is refused at open: a CorpusError naming the file, the problem and the way out`, async () => {
      const path = join(FIXTURES, name);
      await assert.rejects(openCorpus(path), (error: unknown) => {
        assert.ok(error instanceof CorpusError);
        assert.ok(error.message.startsWith(`${path}: `), error.message);
        assert.ok(error.message.includes(problem), error.message);
        return true;
      });
    });
  }
});
