import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertRepoId, defaultCacheDir, envFlag, findCachedModel, repoFolderName } from './cache-layout.ts';

const root = mkdtempSync(join(tmpdir(), 'embedline-cache-layout-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SHA = 'c'.repeat(40);

test('the default cache folder follows huggingface_hub', () => {
  assert.equal(defaultCacheDir({ HF_HUB_CACHE: '/x/hub', HF_HOME: '/y' }), '/x/hub');
  assert.equal(defaultCacheDir({ HF_HOME: '/y' }), '/y/hub');
  assert.equal(defaultCacheDir({ HF_HOME: '~/hf' }), join(homedir(), 'hf', 'hub'));
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }), '/xdg/huggingface/hub');
  assert.equal(defaultCacheDir({}), join(homedir(), '.cache', 'huggingface', 'hub'));
});

test('HF_HUB_OFFLINE accepts what huggingface_hub accepts', () => {
  for (const on of ['1', 'true', 'YES', 'on']) assert.equal(envFlag(on), true, on);
  for (const off of [undefined, '', '0', 'false', 'no']) assert.equal(envFlag(off), false, String(off));
});

test('repo ids become folder names, and only valid ones', () => {
  assert.equal(
    repoFolderName('sentence-transformers/msmarco-distilbert-cos-v5'),
    'models--sentence-transformers--msmarco-distilbert-cos-v5',
  );
  assert.equal(repoFolderName('bert-base-uncased'), 'models--bert-base-uncased');
  for (const bad of ['../etc', 'a/b/c', 'a/..', 'a--b/c', '', '/abs', 'a/.hidden']) {
    assert.throws(() => assertRepoId(bad), TypeError, bad);
  }
  assert.throws(
    () => findCachedModel({ repo: 'x', revision: '../../etc', cacheDir: root }),
    /invalid revision/,
  );
});

test('findCachedModel needs the refs file and the snapshot, or a sha whose snapshot exists', () => {
  const cacheDir = join(root, 'find');
  const repoDir = join(cacheDir, 'models--o--m');
  const repo = 'o/m';
  assert.equal(findCachedModel({ repo, cacheDir }), undefined, 'nothing there');

  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), `${SHA}\n`);
  assert.equal(findCachedModel({ repo, cacheDir }), undefined, 'ref without its snapshot');
  assert.equal(findCachedModel({ repo, revision: SHA, cacheDir }), undefined);

  mkdirSync(join(repoDir, 'snapshots', SHA), { recursive: true });
  assert.equal(findCachedModel({ repo, cacheDir }), join(repoDir, 'snapshots', SHA));
  assert.equal(findCachedModel({ repo, revision: SHA, cacheDir }), join(repoDir, 'snapshots', SHA));
  assert.equal(findCachedModel({ repo, revision: 'v1', cacheDir }), undefined);

  mkdirSync(join(repoDir, 'refs', 'refs', 'pr'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'refs', 'pr', '1'), SHA);
  assert.equal(findCachedModel({ repo, revision: 'refs/pr/1', cacheDir }), join(repoDir, 'snapshots', SHA));

  writeFileSync(join(repoDir, 'refs', 'broken'), 'not a sha');
  assert.equal(findCachedModel({ repo, revision: 'broken', cacheDir }), undefined);

  assert.equal(
    findCachedModel({ repo, env: { HF_HUB_CACHE: cacheDir } }),
    join(repoDir, 'snapshots', SHA),
    'env cache dir',
  );
});
