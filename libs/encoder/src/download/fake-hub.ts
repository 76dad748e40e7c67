// Test helper: a local stand-in for the Hugging Face Hub, serving one model repo from a folder in the
// hub's URL layout, with Range support, CDN-style redirects for LFS files and injectable faults.
//
//   GET /api/models/{repo}/revision/{revision}?blobs=true   listing: { sha, siblings: [{ rfilename, size, blobId, lfs? }] }
//   GET /{repo}/resolve/{commit|revision}/{path}           regular files; LFS files 302 to /cdn/{sha256}
//   GET /cdn/{sha256}                                      LFS content
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, sep } from 'node:path';

export interface HubFile {
  readonly path: string;
  readonly content: Buffer;
  readonly size: number;
  readonly blobId: string;
  /** Set for LFS files: the sha256 of the content. */
  readonly sha256?: string;
}

export type Fault =
  /** Sends `afterBytes` bytes of the file's body, then cuts the connection. */
  | { kind: 'drop'; file: string; afterBytes: number; times?: number }
  /** Answers `status` for the listing (`target: 'api'`) or for a file's resolve URL. */
  | { kind: 'status'; target: 'api' | string; status: number; retryAfter?: string; times?: number }
  /** Serves the file with one byte flipped. */
  | { kind: 'corrupt'; file: string; times?: number };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The repo file it was for, for resolve and CDN requests. */
  file?: string;
  readonly range?: string;
  readonly authorization?: string;
  status?: number;
}

export interface FakeHubOptions {
  readonly repo: string;
  /** The folder whose files the repo holds. */
  readonly dir: string;
  readonly commit?: string;
  /** Files matching this are served as LFS files (default: *.onnx, *.bin, *.safetensors). */
  readonly isLfs?: (path: string) => boolean;
  /** When set, the listing and resolve URLs answer 401 unless this token is sent. */
  readonly token?: string;
}

export interface FakeHub {
  readonly url: string;
  readonly repo: string;
  readonly commit: string;
  readonly files: ReadonlyMap<string, HubFile>;
  readonly requests: RecordedRequest[];
  readonly faults: Fault[];
  /** Answer 200 with the whole file to Range requests, as some proxies do. */
  ignoreRange: boolean;
  /** Requests that got content of `file` (200 or 206, from the resolve URL or the CDN). */
  contentRequests(file?: string): RecordedRequest[];
  close(): Promise<void>;
}

/** Writes a small msmarco-distilbert-cos-v5-shaped repo into `dir`; the ONNX files are random bytes. */
export function writeFixtureModel(dir: string, options: { onnxBytes?: number } = {}): void {
  const onnxBytes = options.onnxBytes ?? 1_500_000;
  const put = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  put('.gitattributes', '*.onnx filter=lfs diff=lfs merge=lfs -text\n');
  put('README.md', '# fixture model\n');
  put(
    'modules.json',
    json([{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' }]),
  );
  put('sentence_bert_config.json', json({ max_seq_length: 384, do_lower_case: false }));
  put('config.json', json({ model_type: 'distilbert', dim: 768 }));
  put('config_sentence_transformers.json', json({ __version__: { sentence_transformers: '5.0.0' } }));
  put('1_Pooling/config.json', json({ word_embedding_dimension: 768, pooling_mode_mean_tokens: true }));
  put('tokenizer.json', json({ version: '1.0', model: { type: 'WordPiece' } }));
  put('tokenizer_config.json', json({ do_lower_case: true }));
  put('special_tokens_map.json', json({ cls_token: '[CLS]' }));
  put('vocab.txt', '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n');
  put('onnx/model.onnx', randomBytes(onnxBytes));
  put('onnx/model_O4.onnx', randomBytes(4096));
  put('onnx/model_qint8_avx512_vnni.onnx', randomBytes(2048));
  put('openvino/openvino_model.bin', randomBytes(1024));
  put('openvino/openvino_model.xml', '<net/>');
  put('pytorch_model.bin', randomBytes(1024));
  put('model.safetensors', randomBytes(1024));
  put('tf_model.h5', randomBytes(1024));
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(root, path) : [relative(root, path).split(sep).join('/')];
  });
}

const defaultIsLfs = (path: string) => /\.(onnx|bin|safetensors|h5)$/.test(path);

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const isLfs = options.isLfs ?? defaultIsLfs;
  const commit =
    options.commit ??
    createHash('sha1').update(`${options.repo}:${Date.now()}:${Math.random()}`).digest('hex');
  const files = new Map<string, HubFile>();
  for (const path of listFiles(options.dir).sort()) {
    const content = readFileSync(join(options.dir, path));
    const blobId = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    const sha256 = isLfs(path) ? createHash('sha256').update(content).digest('hex') : undefined;
    files.set(path, { path, content, size: content.length, blobId, sha256 });
  }
  const byHash = new Map([...files.values()].filter((f) => f.sha256).map((f) => [f.sha256 as string, f]));

  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];

  /** The first matching fault, used up when its `times` (default 1) runs out. */
  function takeFault<K extends Fault['kind']>(kind: K, match: (f: Extract<Fault, { kind: K }>) => boolean) {
    const index = faults.findIndex((f) => f.kind === kind && match(f as Extract<Fault, { kind: K }>));
    if (index < 0) return undefined;
    const fault = faults[index] as Extract<Fault, { kind: K }>;
    const times = (fault.times ?? 1) - 1;
    if (times <= 0) faults.splice(index, 1);
    else faults[index] = { ...fault, times };
    return fault;
  }

  function send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body = '',
    headers: Record<string, string> = {},
  ) {
    record.status = status;
    res.writeHead(status, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  function authorized(req: IncomingMessage): boolean {
    return options.token === undefined || req.headers.authorization === `Bearer ${options.token}`;
  }

  function statusFault(res: ServerResponse, record: RecordedRequest, target: string): boolean {
    const fault = takeFault('status', (f) => f.target === target);
    if (fault === undefined) return false;
    send(
      res,
      record,
      fault.status,
      `injected ${fault.status}`,
      fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
    );
    return true;
  }

  function serveContent(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, file: HubFile) {
    let content = file.content;
    if (takeFault('corrupt', (f) => f.file === file.path)) {
      content = Buffer.from(content);
      const at = Math.floor(content.length / 2);
      content[at] = (content[at] ?? 0) ^ 0xff;
    }
    let start = 0;
    let end = content.length - 1;
    let status = 200;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${file.sha256 ?? file.blobId}"`,
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !hub.ignoreRange) {
      start = Number(range[1]);
      if (start >= content.length) {
        return send(res, record, 416, '', { 'content-range': `bytes */${content.length}` });
      }
      if (range[2]) end = Math.min(Number(range[2]), end);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${content.length}`;
    }
    const body = content.subarray(start, end + 1);
    headers['content-length'] = String(body.length);
    record.status = status;
    res.writeHead(status, headers);
    const drop = takeFault('drop', (f) => f.file === file.path);
    if (drop !== undefined) {
      // Let the first bytes reach the client, then cut the connection mid-body.
      res.write(body.subarray(0, drop.afterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }

  const repoPrefix = `/${options.repo}/resolve/`;
  const apiPrefix = `/api/models/${options.repo}/revision/`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-hub');
    const path = decodeURIComponent(url.pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      range: req.headers.range,
      authorization: req.headers.authorization,
    };
    requests.push(record);

    if (path.startsWith('/api/models/')) {
      if (!path.startsWith(apiPrefix))
        return send(res, record, 404, 'Repository not found', { 'x-error-code': 'RepoNotFound' });
      if (!authorized(req))
        return send(res, record, 401, 'Invalid credentials', { 'x-error-code': 'RepoNotFound' });
      if (statusFault(res, record, 'api')) return;
      const revision = path.slice(apiPrefix.length);
      if (revision !== 'main' && revision !== commit) {
        return send(res, record, 404, 'Revision not found', { 'x-error-code': 'RevisionNotFound' });
      }
      const siblings = [...files.values()].map((f) => ({
        rfilename: f.path,
        size: f.size,
        blobId: f.blobId,
        ...(f.sha256 ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: 134 } } : {}),
      }));
      const body = JSON.stringify({ id: options.repo, sha: commit, siblings });
      return send(res, record, 200, body, { 'content-type': 'application/json' });
    }

    if (path.startsWith(repoPrefix)) {
      const rest = path.slice(repoPrefix.length);
      const slash = rest.indexOf('/');
      const revision = rest.slice(0, slash);
      const file = files.get(rest.slice(slash + 1));
      if (file !== undefined) record.file = file.path;
      if (!authorized(req))
        return send(res, record, 401, 'Invalid credentials', { 'x-error-code': 'RepoNotFound' });
      if (revision !== commit && revision !== 'main')
        return send(res, record, 404, '', { 'x-error-code': 'RevisionNotFound' });
      if (file === undefined)
        return send(res, record, 404, 'Entry not found', { 'x-error-code': 'EntryNotFound' });
      if (statusFault(res, record, file.path)) return;
      if (file.sha256 !== undefined) {
        // Like the hub: LFS content lives on a CDN; the redirect carries no file name.
        record.status = 302;
        res.writeHead(302, { location: `/cdn/${file.sha256}`, 'content-length': 0 });
        return res.end();
      }
      return serveContent(req, res, record, file);
    }

    if (path.startsWith('/cdn/')) {
      const file = byHash.get(path.slice('/cdn/'.length));
      if (file === undefined) return send(res, record, 404);
      record.file = file.path;
      return serveContent(req, res, record, file);
    }
    send(res, record, 404);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const hub: FakeHub = {
    url: `http://127.0.0.1:${port}`,
    repo: options.repo,
    commit,
    files,
    requests,
    faults,
    ignoreRange: false,
    contentRequests: (file) =>
      requests.filter(
        (r) =>
          r.file !== undefined &&
          (r.status === 200 || r.status === 206) &&
          (file === undefined || r.file === file),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return hub;
}
