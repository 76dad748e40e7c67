import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findCachedModel } from './cache-layout.ts';
import { ModelDownloadError } from './errors/index.ts';
import { startFakeHub, writeFixtureModel, type FakeHub } from './fake-hub.ts';
import { defaultModelFiles } from './model-files.ts';
import { pullModel, type PullModelOptions } from './pull-model.ts';

const REPO = 'sentence-transformers/msmarco-distilbert-cos-v5';
const REPO_FOLDER = 'models--sentence-transformers--msmarco-distilbert-cos-v5';
const ONNX = 'onnx/model.onnx';
const ONNX_BYTES = 1_500_000;

const DEFAULT_FILES = [
  '1_Pooling/config.json',
  'config.json',
  'config_sentence_transformers.json',
  'modules.json',
  ONNX,
  'sentence_bert_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
];

interface Setup {
  readonly hub: FakeHub;
  readonly cacheDir: string;
  readonly modelDir: string;
  readonly logs: string[];
  /** pullModel against the fake hub: no process.env, millisecond backoff. */
  pull(options?: Partial<PullModelOptions>): ReturnType<typeof pullModel>;
}

async function setup(t: TestContext, hubOptions: { token?: string } = {}): Promise<Setup> {
  const root = mkdtempSync(join(tmpdir(), 'embedline-download-'));
  const modelDir = join(root, 'repo');
  const cacheDir = join(root, 'cache');
  writeFixtureModel(modelDir, { onnxBytes: ONNX_BYTES });
  const hub = await startFakeHub({ repo: REPO, dir: modelDir, ...hubOptions });
  t.after(async () => {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  });
  const logs: string[] = [];
  return {
    hub,
    cacheDir,
    modelDir,
    logs,
    pull: (options = {}) =>
      pullModel({
        repo: REPO,
        endpoint: hub.url,
        cacheDir,
        include: defaultModelFiles(),
        env: {},
        retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 20 },
        log: (message) => logs.push(message),
        ...options,
      }),
  };
}

function refFile(s: Setup, revision = 'main'): string {
  return join(s.cacheDir, REPO_FOLDER, 'refs', revision);
}

function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (p) => !statSync(join(dir, p)).isDirectory(),
  );
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ModelDownloadError> {
  const error = await promise.then(
    () => assert.fail(`expected a ModelDownloadError (${code})`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelDownloadError, `not a ModelDownloadError: ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

test('pulls the model into the HF cache byte for byte; a second pull downloads nothing', async (t) => {
  const s = await setup(t);
  const progress = new Map<string, { received: number; total: number }>();
  const pulled = await s.pull({ onProgress: (e) => progress.set(e.file, e) });

  assert.equal(pulled.commit, s.hub.commit);
  assert.equal(pulled.dir, join(s.cacheDir, REPO_FOLDER, 'snapshots', s.hub.commit));
  assert.deepEqual([...pulled.files].sort(), DEFAULT_FILES);
  assert.deepEqual(filesBelow(pulled.dir).sort(), DEFAULT_FILES, 'nothing else, no .incomplete left');
  for (const file of DEFAULT_FILES) {
    assert.ok(readFileSync(join(pulled.dir, file)).equals(readFileSync(join(s.modelDir, file))), file);
  }
  assert.equal(readFileSync(refFile(s), 'utf8'), s.hub.commit);
  assert.deepEqual(progress.get(ONNX), { file: ONNX, received: ONNX_BYTES, total: ONNX_BYTES });
  assert.ok(
    s.hub.requests.some((r) => r.path.startsWith('/cdn/') && r.file === ONNX),
    'LFS file came via the CDN redirect',
  );
  assert.ok(s.hub.requests.every((r) => r.range === undefined));
  assert.deepEqual(filesBelow(join(s.cacheDir, '.locks')), [], 'locks released');

  assert.equal(findCachedModel({ repo: REPO, cacheDir: s.cacheDir }), pulled.dir);
  assert.equal(findCachedModel({ repo: REPO, revision: s.hub.commit, cacheDir: s.cacheDir }), pulled.dir);
  assert.equal(findCachedModel({ repo: REPO, revision: 'v2', cacheDir: s.cacheDir }), undefined);

  const before = s.hub.requests.length;
  const again = await s.pull();
  assert.deepEqual(again, pulled);
  assert.deepEqual(
    s.hub.requests.slice(before).map((r) => r.path),
    [`/api/models/${REPO}/revision/main?blobs=true`],
    'only the listing is asked for again',
  );
});

test('a connection dropped mid-file is resumed with a Range request', async (t) => {
  const s = await setup(t);
  s.hub.faults.push({ kind: 'drop', file: ONNX, afterBytes: 600_000 });
  const pulled = await s.pull();

  const onnx = s.hub.contentRequests(ONNX);
  assert.equal(onnx.length, 2);
  assert.equal(onnx[0]?.range, undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(onnx[1]?.range ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 600_000, `resumed at ${onnx[1]?.range}`);
  assert.equal(onnx[1]?.status, 206);
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
  assert.ok(s.logs.some((l) => l.includes('connection lost while downloading onnx/model.onnx')));
  assert.ok(s.logs.some((l) => l.startsWith('resuming onnx/model.onnx')));
});

test('an interrupted pull writes no ref, and the next pull resumes the partial file', async (t) => {
  const s = await setup(t);
  s.hub.faults.push({ kind: 'drop', file: ONNX, afterBytes: 700_000 });
  const error = await rejectsWith(s.pull({ retry: { attempts: 1 } }), 'network');
  assert.equal(error.file, ONNX);
  assert.match(error.message, /onnx\/model\.onnx.*gave up after 1 tries/s);
  assert.equal(existsSync(refFile(s)), false);
  assert.equal(findCachedModel({ repo: REPO, cacheDir: s.cacheDir }), undefined);
  const snapshot = join(s.cacheDir, REPO_FOLDER, 'snapshots', s.hub.commit);
  assert.equal(existsSync(join(snapshot, ONNX)), false);
  const partial = statSync(join(snapshot, `${ONNX}.incomplete`)).size;
  assert.ok(partial > 0);

  const pulled = await s.pull();
  const onnx = s.hub.contentRequests(ONNX);
  assert.equal(onnx.at(-1)?.range, `bytes=${partial}-`);
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
  assert.equal(findCachedModel({ repo: REPO, cacheDir: s.cacheDir }), pulled.dir);
});

test('a partial file that is already whole (crash before the rename) is checked, not fetched again', async (t) => {
  const s = await setup(t);
  const snapshot = join(s.cacheDir, REPO_FOLDER, 'snapshots', s.hub.commit);
  mkdirSync(join(snapshot, 'onnx'), { recursive: true });
  writeFileSync(join(snapshot, `${ONNX}.incomplete`), s.hub.files.get(ONNX)?.content ?? '');
  const pulled = await s.pull();
  assert.deepEqual(s.hub.contentRequests(ONNX), []);
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
  assert.equal(existsSync(join(snapshot, `${ONNX}.incomplete`)), false);
});

test('a server that ignores Range gets the whole file again', async (t) => {
  const s = await setup(t);
  s.hub.ignoreRange = true;
  s.hub.faults.push({ kind: 'drop', file: ONNX, afterBytes: 500_000 });
  const pulled = await s.pull();
  const onnx = s.hub.contentRequests(ONNX);
  assert.ok(onnx[1]?.range?.startsWith('bytes='));
  assert.equal(onnx[1]?.status, 200);
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
  assert.ok(s.logs.some((l) => l.includes('ignored the Range request')));
});

test('a corrupted download fails naming the file and both hashes, and leaves nothing behind', async (t) => {
  const s = await setup(t);
  const original = s.hub.files.get(ONNX);
  assert.ok(original?.sha256);
  const corrupted = Buffer.from(original.content);
  const at = Math.floor(corrupted.length / 2);
  corrupted[at] = (corrupted[at] ?? 0) ^ 0xff;
  const actual = createHash('sha256').update(corrupted).digest('hex');

  s.hub.faults.push({ kind: 'corrupt', file: ONNX });
  const error = await rejectsWith(s.pull(), 'checksum');
  assert.equal(error.file, ONNX);
  assert.match(error.message, /^onnx\/model\.onnx: sha256 mismatch/);
  assert.ok(error.message.includes(original.sha256), 'expected hash');
  assert.ok(error.message.includes(actual), 'actual hash');
  assert.equal(s.hub.contentRequests(ONNX).length, 1, 'a checksum mismatch is not retried');
  assert.equal(existsSync(refFile(s)), false);
  const snapshot = join(s.cacheDir, REPO_FOLDER, 'snapshots', s.hub.commit);
  assert.equal(existsSync(join(snapshot, ONNX)), false);
  assert.equal(existsSync(join(snapshot, `${ONNX}.incomplete`)), false);

  // A regular (non-LFS) file is checked against its git blob id (config.json made it the first time).
  rmSync(join(snapshot, 'config.json'));
  s.hub.faults.push({ kind: 'corrupt', file: 'config.json' });
  const blobError = await rejectsWith(s.pull(), 'checksum');
  assert.match(blobError.message, /^config\.json: git blob sha1 mismatch/);
  assert.ok(blobError.message.includes(s.hub.files.get('config.json')?.blobId ?? '?'));

  const pulled = await s.pull();
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(original.content), 'a clean pull afterwards works');
});

test('500, 503 and 429 (honoring Retry-After) are retried and the pull succeeds', async (t) => {
  const s = await setup(t);
  s.hub.faults.push(
    { kind: 'status', target: 'api', status: 500 },
    { kind: 'status', target: 'config.json', status: 503 },
    { kind: 'status', target: ONNX, status: 429, retryAfter: '1' },
  );
  const pulled = await s.pull();
  assert.ok(readFileSync(join(pulled.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
  const statuses = (match: (path: string) => boolean) =>
    s.hub.requests.filter((r) => match(r.path)).map((r) => r.status);
  assert.deepEqual(
    statuses((p) => p.startsWith('/api/')),
    [500, 200],
  );
  assert.deepEqual(
    statuses((p) => p.endsWith('/config.json') && !p.includes('1_Pooling')),
    [503, 200],
  );
  assert.deepEqual(
    statuses((p) => p.endsWith(`/${ONNX}`)),
    [429, 302],
  );
  assert.ok(
    s.logs.some((l) => /429 .*retrying in 20 ms \(Retry-After: 1\)/.test(l)),
    'Retry-After honoured up to maxDelayMs',
  );
  assert.equal(readFileSync(refFile(s), 'utf8'), s.hub.commit);
});

test('a failure that persists gives up after the configured tries', async (t) => {
  const s = await setup(t);
  s.hub.faults.push({ kind: 'status', target: 'api', status: 502, times: 10 });
  const error = await rejectsWith(s.pull({ retry: { attempts: 2, baseDelayMs: 1 } }), 'http');
  assert.equal(error.status, 502);
  assert.match(error.message, /502 .*gave up after 2 tries/);
  assert.equal(s.hub.requests.length, 2);
});

test('404 and 401 fail at once with messages that say what is wrong', async (t) => {
  const s = await setup(t, { token: 'hf_secret' });

  const missingRepo = await rejectsWith(
    s.pull({ repo: 'sentence-transformers/no-such-model', token: 'hf_secret' }),
    'not-found',
  );
  assert.match(missingRepo.message, /sentence-transformers\/no-such-model \(revision main\) was not found/);
  const missingRevision = await rejectsWith(s.pull({ revision: 'v9', token: 'hf_secret' }), 'not-found');
  assert.match(
    missingRevision.message,
    /revision v9 was not found in sentence-transformers\/msmarco-distilbert-cos-v5/,
  );
  assert.equal(s.hub.requests.length, 2, 'no retries');

  const noToken = await rejectsWith(s.pull(), 'unauthorized');
  assert.equal(noToken.status, 401);
  assert.match(noToken.message, /set HF_TOKEN/);
  const badToken = await rejectsWith(s.pull({ token: 'hf_wrong' }), 'unauthorized');
  assert.match(badToken.message, /token sent .* is not allowed/);
  assert.equal(s.hub.requests.length, 4, 'no retries');

  s.hub.faults.push({ kind: 'status', target: 'tokenizer.json', status: 404 });
  const missingFile = await rejectsWith(s.pull({ env: { HF_TOKEN: 'hf_secret' } }), 'not-found');
  assert.equal(missingFile.file, 'tokenizer.json');
  assert.match(
    missingFile.message,
    /file tokenizer\.json was not found in sentence-transformers\/msmarco-distilbert-cos-v5/,
  );
  assert.equal(s.hub.requests.filter((r) => r.file === 'tokenizer.json').length, 1, 'no retries');
  assert.equal(existsSync(refFile(s)), false);

  await s.pull({ env: { HF_TOKEN: 'hf_secret' } });
  assert.equal(
    s.hub.requests.at(-1)?.authorization,
    'Bearer hf_secret',
    'HF_TOKEN is sent as a bearer token',
  );
});

test('include filter: a variant pulls only its own ONNX file, never other weights', async (t) => {
  const s = await setup(t);
  const o4 = await s.pull({ include: defaultModelFiles('O4') });
  assert.deepEqual(
    o4.files.filter((f) => !f.endsWith('.json') && f !== 'vocab.txt'),
    ['onnx/model_O4.onnx'],
  );
  const vnni = await s.pull({ include: defaultModelFiles('qint8_avx512_vnni') });
  assert.ok(vnni.files.includes('onnx/model_qint8_avx512_vnni.onnx'));
  assert.equal(existsSync(join(o4.dir, ONNX)), false);
  assert.deepEqual(
    s.hub.requests.filter((r) => r.file?.includes('onnx')).map((r) => r.file),
    [
      'onnx/model_O4.onnx',
      'onnx/model_O4.onnx',
      'onnx/model_qint8_avx512_vnni.onnx',
      'onnx/model_qint8_avx512_vnni.onnx',
    ],
    'resolve + CDN request for each chosen variant and nothing else',
  );

  const before = s.hub.requests.length;
  const missing = await rejectsWith(s.pull({ include: defaultModelFiles('O5') }), 'not-found');
  assert.match(
    missing.message,
    /has no onnx\/model_O5\.onnx; its ONNX files are onnx\/model\.onnx, onnx\/model_O4\.onnx/,
  );
  assert.equal(s.hub.requests.length, before + 1, 'only the listing');

  const all = await s.pull({ include: undefined });
  assert.equal(all.files.length, s.hub.files.size, 'no filter: every file of the repo');
});

test('HF_HUB_OFFLINE=1 fails fast and points to the cache; HF_ENDPOINT is read from the environment', async (t) => {
  const s = await setup(t);
  const error = await rejectsWith(s.pull({ env: { HF_HUB_OFFLINE: '1' } }), 'offline');
  assert.match(error.message, /HF_HUB_OFFLINE/);
  assert.match(error.message, /local cache/);
  assert.equal(s.hub.requests.length, 0);

  const pulled = await s.pull({ endpoint: undefined, env: { HF_ENDPOINT: `${s.hub.url}/` } });
  assert.equal(pulled.commit, s.hub.commit);
});

test('a Python-made cache (blobs + symlinks) is reused, not downloaded again', async (t) => {
  const s = await setup(t);
  const repoDir = join(s.cacheDir, REPO_FOLDER);
  const snapshot = join(repoDir, 'snapshots', s.hub.commit);
  for (const path of [ONNX, 'config.json']) {
    const file = s.hub.files.get(path);
    assert.ok(file);
    const etag = file.sha256 ?? file.blobId;
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    writeFileSync(join(repoDir, 'blobs', etag), file.content);
    mkdirSync(dirname(join(snapshot, path)), { recursive: true });
    symlinkSync(join('..', '..', ...(path.includes('/') ? ['..'] : []), 'blobs', etag), join(snapshot, path));
  }
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), s.hub.commit);
  assert.equal(findCachedModel({ repo: REPO, cacheDir: s.cacheDir }), snapshot);
  assert.equal(readFileSync(join(snapshot, ONNX)).length, ONNX_BYTES);

  const pulled = await s.pull();
  assert.equal(pulled.dir, snapshot);
  assert.deepEqual(s.hub.contentRequests(ONNX), []);
  assert.deepEqual(s.hub.contentRequests('config.json'), []);
  assert.equal(s.hub.contentRequests().length, DEFAULT_FILES.length - 2);
});

test('two pulls at once download each file once', async (t) => {
  const s = await setup(t);
  const [a, b] = await Promise.all([s.pull(), s.pull()]);
  assert.equal(a.dir, b.dir);
  assert.equal(s.hub.contentRequests(ONNX).length, 1);
  assert.ok(readFileSync(join(a.dir, ONNX)).equals(s.hub.files.get(ONNX)?.content ?? Buffer.alloc(0)));
});

test('aborting stops the pull with an aborted error and no ref', async (t) => {
  const s = await setup(t);
  const controller = new AbortController();
  const error = await rejectsWith(
    s.pull({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.file === ONNX && e.received > 0) controller.abort(new Error('stop'));
      },
    }),
    'aborted',
  );
  assert.match(error.message, /aborted \(stop\)/);
  assert.equal(existsSync(refFile(s)), false);
});

test('a listing naming a file outside the repo is refused before anything is written', async (t) => {
  const s = await setup(t);
  const evil: typeof fetch = async () =>
    Response.json({ sha: 'a'.repeat(40), siblings: [{ rfilename: '../../escape.txt', size: 1 }] });
  const error = await rejectsWith(s.pull({ fetch: evil, include: undefined }), 'invalid-listing');
  assert.match(error.message, /outside the repo/);
  assert.equal(existsSync(s.cacheDir), false);

  const garbage: typeof fetch = async () => Response.json({ sha: 'main', siblings: 'none' });
  const invalid = await rejectsWith(s.pull({ fetch: garbage }), 'invalid-listing');
  assert.match(invalid.message, /sha: not a commit sha/);
});

test('an unreachable endpoint is a network error naming the URL', async (t) => {
  const s = await setup(t);
  await s.hub.close();
  const error = await rejectsWith(s.pull({ retry: { attempts: 2, baseDelayMs: 1 } }), 'network');
  assert.match(error.message, new RegExp(`could not reach the Hugging Face Hub at ${s.hub.url}/api/models/`));
  assert.match(error.message, /ECONNREFUSED/);
});
