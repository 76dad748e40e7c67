import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkStoreWritable } from './store-writable.ts';

describe('checkStoreWritable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-writable-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lancedb = (folder: string) => ({
    EMBEDLINE_STORE: 'lancedb' as const,
    EMBEDLINE_LANCEDB_DIR: folder,
  });

  test('a missing folder is created', async () => {
    const folder = join(dir, 'new', 'lancedb');
    await checkStoreWritable(lancedb(folder));
    assert.ok(existsSync(folder));
  });

  test('a path through a file is refused, naming the setting, the folder and why', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(
      checkStoreWritable(lancedb(join(file, 'lancedb'))),
      /^Error: EMBEDLINE_LANCEDB_DIR .*a-file\/lancedb: the worker cannot write the store there \(ENOTDIR\)$/,
    );
  });

  test('Qdrant and object-store URIs are not checked here', async () => {
    await checkStoreWritable({ EMBEDLINE_STORE: 'qdrant', EMBEDLINE_LANCEDB_DIR: '/proc/not-writable' });
    await checkStoreWritable(lancedb('s3://bucket/lancedb'));
  });
});
