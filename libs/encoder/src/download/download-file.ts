// One repo file into the snapshot folder: skip it when a verified copy is there, else stream it into
// `{target}.incomplete` (resuming with a Range request when that file exists), hash while writing,
// check size and hash against the hub's listing, and only then rename it into place.
import { createHash, type Hash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ModelDownloadError } from './errors/index.ts';
import { acquireFileLock } from './file-lock.ts';
import {
  abortedError,
  describeNetworkError,
  errorForResponse,
  withRetries,
  type RetryOptions,
} from './hub-http.ts';

/** One file of the hub's listing, as far as downloading and checking it goes. */
export interface RepoFile {
  readonly path: string;
  readonly size?: number;
  /** LFS files: the sha256 of the content. */
  readonly sha256?: string;
  /** Regular (non-LFS) files: the git blob sha1, `sha1("blob {size}\0" + content)`. */
  readonly blobId?: string;
}

/** Reported as bytes arrive (a resumed download starts at the bytes it already had). */
export interface ProgressEvent {
  readonly file: string;
  readonly received: number;
  /** The file's size; 0 when neither the listing nor the response says. */
  readonly total: number;
}

export interface DownloadContext {
  readonly fetch: typeof fetch;
  readonly repo: string;
  readonly revision: string;
  readonly token: string | undefined;
  readonly retry: Required<RetryOptions>;
  readonly lockDir: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly log?: (message: string) => void;
}

type Expected = { readonly kind: 'sha256' | 'git-sha1'; readonly hash: string };

function expectedHash(file: RepoFile): Expected | undefined {
  if (file.sha256 !== undefined) return { kind: 'sha256', hash: file.sha256.toLowerCase() };
  if (file.blobId !== undefined) return { kind: 'git-sha1', hash: file.blobId.toLowerCase() };
  return undefined;
}

/** The git blob hash needs the size up front; sha256 does not. */
function newHasher(expected: Expected, size: number): Hash {
  return expected.kind === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
}

async function hashInto(hasher: Hash, path: string, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(path, { signal })) hasher.update(chunk as Buffer);
}

function closed(stream: WriteStream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

function sizeOf(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.size;
}

function humanSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${bytes} B`;
}

/**
 * Whether `target` already holds the file: right size and right hash. A snapshot entry that Python's
 * huggingface_hub wrote is a symlink to `blobs/{etag}`, and for hub files the etag is exactly the hash
 * we expect (sha256 for LFS, the git blob id otherwise), so such a link is trusted without rehashing.
 */
async function isComplete(target: string, file: RepoFile, signal?: AbortSignal): Promise<boolean> {
  const link = lstatSync(target, { throwIfNoEntry: false });
  if (link === undefined) return false;
  const size = sizeOf(target); // follows the link; undefined when it dangles
  if (size === undefined || (file.size !== undefined && size !== file.size)) return false;
  const expected = expectedHash(file);
  if (expected === undefined) return true;
  if (link.isSymbolicLink() && basename(readlinkSync(target)) === expected.hash) return true;
  const hasher = newHasher(expected, size);
  await hashInto(hasher, target, signal);
  return hasher.digest('hex') === expected.hash;
}

function parseContentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const match = header ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function transient(message: string, file: string, url: string, cause?: unknown): ModelDownloadError {
  return new ModelDownloadError('network', message, { file, url, cause });
}

/** Deletes what was downloaded and reports the mismatch; nothing half-right stays behind. */
function mismatch(
  partial: string,
  file: RepoFile,
  url: string,
  what: string,
  expected: string,
  actual: string,
) {
  rmSync(partial, { force: true });
  return new ModelDownloadError(
    'checksum',
    `${file.path}: ${what} mismatch, expected ${expected} but got ${actual} (downloaded from ${url}). ` +
      'The download was deleted; pulling again fetches it anew.',
    { file: file.path, url },
  );
}

/** Where one attempt starts: the response body to append or write, and what is already on disk. */
interface Transfer {
  readonly body: Readable;
  /** Bytes of the partial file kept (the body continues after them). */
  readonly have: number;
  /** The file's full size, when the listing or the response says. */
  readonly total: number | undefined;
  readonly append: boolean;
}

/**
 * One try: request what the partial file lacks, stream it in while hashing, check size and hash, and
 * rename it into place. Network trouble is a transient ModelDownloadError (the caller retries, resuming
 * from what reached the disk); a size or hash mismatch deletes the download.
 */
async function attemptDownload(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  target: string,
): Promise<void> {
  const partial = `${target}.incomplete`;
  const expected = expectedHash(file);
  let have = sizeOf(partial) ?? 0;
  if (file.size !== undefined && have > file.size) {
    rmSync(partial, { force: true });
    have = 0;
  }
  const transfer =
    file.size !== undefined && have === file.size && have > 0
      ? // The bytes all arrived last time but were never checked (a crash between download and rename).
        { body: Readable.from([]), have, total: have, append: true }
      : await requestRest(ctx, file, url, partial, have);
  const { received, hasher } = await writePartial(ctx, file, url, partial, transfer, expected);
  await verifyPartial(ctx, file, url, partial, received, expected, hasher);
  renameSync(partial, target); // replaces a stale file or symlink, never what it points to
}

/** Asks the hub for the file, from byte `have` on when part of it is on disk already. */
async function requestRest(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  partial: string,
  have: number,
): Promise<Transfer> {
  // identity: byte offsets must be offsets into the file itself, not into a gzip stream.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (ctx.token) headers.authorization = `Bearer ${ctx.token}`;
  if (have > 0) headers.range = `bytes=${have}-`;
  let response: Response;
  try {
    response = await ctx.fetch(url, { headers, signal: ctx.signal, redirect: 'follow' });
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    throw transient(
      `could not download ${file.path} from ${url}: ${describeNetworkError(error)}`,
      file.path,
      url,
      error,
    );
  }
  if (response.status === 416 && have > 0) {
    await startOver(response, partial);
    throw transient(
      `the server refused to resume ${file.path} at byte ${have}; starting it over`,
      file.path,
      url,
    );
  }
  if (!response.ok) {
    throw await errorForResponse(response, url, { ...ctx, file: file.path, tokenSent: Boolean(ctx.token) });
  }
  let transfer: Omit<Transfer, 'body'>;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range === undefined || range.start !== have) {
      await startOver(response, partial);
      throw transient(
        `${file.path}: the server resumed at the wrong offset; starting it over`,
        file.path,
        url,
      );
    }
    transfer = { have, total: file.size ?? range.total, append: true };
    ctx.log?.(`resuming ${file.path} at ${humanSize(have)}`);
  } else {
    if (have > 0)
      ctx.log?.(`the server ignored the Range request for ${file.path}; downloading it from the start`);
    const length = response.headers.get('content-length');
    const fromHeader = length === null ? Number.NaN : Number(length);
    transfer = {
      have: 0,
      total: file.size ?? (Number.isSafeInteger(fromHeader) ? fromHeader : undefined),
      append: false,
    };
  }
  if (response.body === null) throw transient(`${file.path}: empty response from ${url}`, file.path, url);
  return { ...transfer, body: Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>) };
}

/** Drops a response that cannot be resumed from, and the partial file with it. */
async function startOver(response: Response, partial: string): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
  rmSync(partial, { force: true });
}

/**
 * Streams the body into the partial file, hashing as it writes; when appending, the bytes already on
 * disk go through the hash first. Without a size the git blob header cannot be built up front, so that
 * (rare) case gets no hasher here and is hashed after the download (see verifyPartial).
 */
async function writePartial(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  partial: string,
  { body, have, total, append }: Transfer,
  expected: Expected | undefined,
): Promise<{ received: number; hasher: Hash | undefined }> {
  const hasher = expected !== undefined && total !== undefined ? newHasher(expected, total) : undefined;
  if (hasher !== undefined && append && have > 0) {
    try {
      await hashInto(hasher, partial, ctx.signal);
    } catch (error) {
      body.destroy(); // frees the connection
      throw error;
    }
  }
  let received = have;
  const reportTotal = total ?? 0;
  ctx.onProgress?.({ file: file.path, received, total: reportTotal });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hasher?.update(chunk);
      received += chunk.length;
      ctx.onProgress?.({ file: file.path, received, total: reportTotal });
      done(null, chunk);
    },
  });
  const out = createWriteStream(partial, { flags: append ? 'a' : 'w' });
  try {
    const options = ctx.signal === undefined ? {} : { signal: ctx.signal };
    await pipeline(body, meter, out, options);
  } catch (error) {
    // pipeline settles before the write already handed to the OS lands. The next try (or the next
    // process, once the lock is released) sizes the partial file to resume from it, so wait until the
    // file is closed: otherwise late bytes would be appended after the resumed ones.
    out.destroy();
    await closed(out);
    if (ctx.signal?.aborted) throw error;
    // Whatever reached the disk stays: the next try asks for the rest.
    throw transient(
      `connection lost while downloading ${file.path} after ${humanSize(received)}` +
        `${total === undefined ? '' : ` of ${humanSize(total)}`}: ${describeNetworkError(error)}`,
      file.path,
      url,
      error,
    );
  }
  return { received, hasher };
}

/** Checks the downloaded size and hash against the listing; a mismatch deletes the download. */
async function verifyPartial(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  partial: string,
  received: number,
  expected: Expected | undefined,
  hasher: Hash | undefined,
): Promise<void> {
  if (file.size !== undefined && received < file.size) {
    throw transient(
      `${file.path}: the download ended after ${received} of ${file.size} bytes`,
      file.path,
      url,
    );
  }
  if (file.size !== undefined && received !== file.size) {
    throw mismatch(partial, file, url, 'size', `${file.size} bytes`, `${received} bytes`);
  }
  if (expected === undefined) return;
  if (hasher === undefined) {
    hasher = newHasher(expected, received);
    await hashInto(hasher, partial, ctx.signal);
  }
  const actual = hasher.digest('hex');
  if (actual !== expected.hash) {
    const label = expected.kind === 'sha256' ? 'sha256' : 'git blob sha1';
    throw mismatch(partial, file, url, label, `${label} ${expected.hash}`, actual);
  }
}

/** Makes sure `snapshotDir/file.path` holds the verified file; true when it had to be downloaded. */
export async function ensureFile(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  snapshotDir: string,
): Promise<boolean> {
  const what = `download of ${file.path} from ${ctx.repo}`;
  try {
    return await ensureFileUnlessAborted(ctx, file, url, snapshotDir, what);
  } catch (error) {
    if (ctx.signal?.aborted && !(error instanceof ModelDownloadError && error.code === 'aborted')) {
      throw abortedError(what, ctx.signal, file.path);
    }
    throw error;
  }
}

async function ensureFileUnlessAborted(
  ctx: DownloadContext,
  file: RepoFile,
  url: string,
  snapshotDir: string,
  what: string,
): Promise<boolean> {
  const target = join(snapshotDir, ...file.path.split('/'));
  if (await isComplete(target, file, ctx.signal)) return false;
  mkdirSync(dirname(target), { recursive: true });
  const lockName = `${basename(snapshotDir)}.${file.path.split('/').join('--')}.lock`;
  const release = await acquireFileLock(join(ctx.lockDir, lockName), {
    signal: ctx.signal,
    onWait: () => ctx.log?.(`${file.path}: another process is downloading it; waiting`),
  });
  try {
    // Whoever held the lock may have just finished it.
    if (await isComplete(target, file, ctx.signal)) return false;
    ctx.log?.(`downloading ${file.path}${file.size === undefined ? '' : ` (${humanSize(file.size)})`}`);
    await withRetries(what, ctx, () => attemptDownload(ctx, file, url, target));
    return true;
  } finally {
    release();
  }
}
