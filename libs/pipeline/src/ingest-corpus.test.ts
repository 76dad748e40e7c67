import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CorpusError } from '@embedline/corpus';
import type { RedisClient } from '@embedline/queue';
import { ingestCorpus, type IngestOptions } from './ingest-corpus.ts';

/** Fails the test on any use: a corpus that cannot be read must not reach Redis or the store. */
function untouchable<T>(what: string): T {
  return new Proxy({} as object, {
    get: (_target, property) => {
      throw new Error(`${what} used (${String(property)}) for a corpus that cannot be read`);
    },
  }) as T;
}

describe('ingestCorpus: a corpus that cannot be read fails first, naming it, with nothing written to Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-ingest-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const options = (corpus: string, format?: string): IngestOptions => ({
    corpus,
    format,
    collection: 'unreadable',
    shardSize: 10,
    inline: false,
    highWaterMark: 10,
    addChunk: 5,
    connection: untouchable<RedisClient>('Redis'),
    prefix: 'ingest-check',
    store: untouchable<IngestOptions['store']>('the store'),
  });

  const folder = join(dir, 'folder.tsv');
  mkdirSync(folder);
  const cases: [string, IngestOptions, RegExp][] = [
    ['no such file', options(join(dir, 'missing.tsv')), /missing\.tsv: no such file$/],
    ['a folder', options(folder), /folder\.tsv: not a regular file$/],
    [
      'a name of no known format',
      options(file('corpus.csv', '1\ta\n')),
      /corpus\.csv: cannot tell the format from the file name/,
    ],
    [
      'an unknown format option',
      options(file('corpus.txt', '1\ta\n'), 'csv'),
      /corpus\.txt: unknown format "csv"/,
    ],
    ['a .gz that is not gzip', options(file('corpus.tsv.gz', '1\ta\n')), /corpus\.tsv\.gz: /],
  ];
  for (const [name, ingest, message] of cases) {
    test(name, async () => {
      await assert.rejects(ingestCorpus(ingest), (error: Error) => {
        assert.ok(error instanceof CorpusError, `${error.name}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
