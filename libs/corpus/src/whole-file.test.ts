import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tempFiles } from './testing/temp-corpus.ts';
import { readWholeFile, type GunzipWhen } from './whole-file.ts';

const { dir, file } = tempFiles();

const read = (path: string, when: GunzipWhen) =>
  readWholeFile(path, when, (problem) => new Error(problem)).then(String, (error: Error) => error.message);

describe('readWholeFile', () => {
  test('by-name gunzips a .gz file, by-magic a file that starts with the gzip magic bytes', async () => {
    const zipped = gzipSync('text\n');
    assert.equal(await read(file('named.gz', zipped), 'by-name'), 'text\n');
    assert.equal(await read(file('named.gz', zipped), 'by-magic'), 'text\n');
    assert.equal(await read(file('unnamed', zipped), 'by-magic'), 'text\n');
    assert.equal(await read(file('plain.gz', 'plain\n'), 'by-magic'), 'plain\n');
    assert.equal(
      await read(file('plain.gz', 'plain\n'), 'by-name'),
      'not a readable gzip file (incorrect header check)',
    );
  });

  test("problems in the query and qrels loaders' words", async () => {
    assert.equal(await read(join(dir, 'nope'), 'by-name'), 'no such file');
    assert.equal(await read(dir, 'by-magic'), 'is a folder, not a file');
  });
});
