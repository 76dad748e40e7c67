// Downloads a model repo from the Hugging Face Hub into the local cache (the job of text-embeddings-
// inference's core/src/download.rs, or of huggingface_hub's snapshot_download).
//
// Written by hand rather than taken from a package: what Embedline needs is (1) resumable downloads,
// since the fp32 ONNX file is ~265 MB and workers start on flaky networks, (2) verification against the
// hub's own checksums (sha256 for LFS files, git blob sha1 for the rest), so a truncated or corrupted
// model can never be loaded, and (3) huggingface_hub's cache layout, so that models Python already
// downloaded are reused and ours are visible to Python. @huggingface/hub covers only parts of that
// and pulls in its own cache conventions; node's fetch, streams and crypto cover all of it in a few
// hundred lines with no dependency to audit or keep up to date.
import { mkdirSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../zod-issues.ts';
import {
  COMMIT_SHA,
  assertRepoId,
  assertRevision,
  defaultCacheDir,
  envFlag,
  repoPaths,
  writeRef,
  type HubEnv,
} from './cache-layout.ts';
import { ensureFile, type ProgressEvent, type RepoFile } from './download-file.ts';
import { ModelDownloadError } from './errors/index.ts';
import {
  DEFAULT_RETRY,
  abortedError,
  describeNetworkError,
  errorForResponse,
  withRetries,
  type RetryOptions,
} from './hub-http.ts';
import type { ModelFileFilter } from './model-files.ts';

export interface PullModelOptions {
  /** `owner/name`, e.g. `sentence-transformers/msmarco-distilbert-cos-v5`. */
  readonly repo: string;
  /** Branch, tag or commit sha (default `main`). */
  readonly revision?: string;
  /** Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  readonly cacheDir?: string;
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Which repo files to fetch (default all); any `(path) => boolean`, or defaultModelFiles(variant). */
  readonly include?: ModelFileFilter;
  /** Sent as `Authorization: Bearer`; default HF_TOKEN. */
  readonly token?: string;
  readonly fetch?: typeof fetch;
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
  /** Retries of transient failures (dropped connections, 408, 429, 5xx). */
  readonly retry?: RetryOptions;
  /** Where HF_* variables are read from (default process.env). */
  readonly env?: HubEnv;
}

export interface PulledModel {
  /** The snapshot folder holding the files. */
  readonly dir: string;
  readonly commit: string;
  /** The repo paths of the files pulled (or found already complete), in the hub's order. */
  readonly files: string[];
}

const HEX = (length: number) => new RegExp(`^[0-9a-fA-F]{${length}}$`);

const listingSchema = z.object({
  sha: z.string().regex(COMMIT_SHA, 'not a commit sha'),
  siblings: z.array(
    z.object({
      rfilename: z.string().min(1),
      size: z.number().int().nonnegative().nullish(),
      blobId: z.string().regex(HEX(40)).nullish(),
      lfs: z.object({ sha256: z.string().regex(HEX(64)), size: z.number().int().nonnegative() }).nullish(),
    }),
  ),
});

/** A repo path becomes a path under the snapshot folder: it must stay inside it. */
function isSafeRepoPath(path: string): boolean {
  return (
    !isAbsolute(path) &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    path.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  );
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

interface Listing {
  readonly commit: string;
  readonly files: RepoFile[];
}

async function fetchListing(
  fetchImpl: typeof fetch,
  url: string,
  ctx: { repo: string; revision: string; token: string | undefined; signal?: AbortSignal },
): Promise<Listing> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.token) headers.authorization = `Bearer ${ctx.token}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers, signal: ctx.signal });
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    throw new ModelDownloadError(
      'network',
      `could not reach the Hugging Face Hub at ${url}: ${describeNetworkError(error)}`,
      { url, cause: error },
    );
  }
  if (!response.ok) throw await errorForResponse(response, url, { ...ctx, tokenSent: Boolean(ctx.token) });

  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    throw new ModelDownloadError(
      'invalid-listing',
      `the file listing of ${ctx.repo}@${ctx.revision} at ${url} is not JSON`,
      {
        url,
        cause: error,
      },
    );
  }
  const parsed = listingSchema.safeParse(body);
  if (!parsed.success) {
    throw new ModelDownloadError(
      'invalid-listing',
      `unexpected file listing for ${ctx.repo}@${ctx.revision} at ${url}: ${describeIssues(parsed.error)}`,
      { url },
    );
  }
  const unsafe = parsed.data.siblings.find((s) => !isSafeRepoPath(s.rfilename));
  if (unsafe !== undefined) {
    throw new ModelDownloadError(
      'invalid-listing',
      `the file listing of ${ctx.repo}@${ctx.revision} names a file outside the repo: ${JSON.stringify(unsafe.rfilename)}`,
      { url, file: unsafe.rfilename },
    );
  }
  return {
    commit: parsed.data.sha.toLowerCase(),
    files: parsed.data.siblings.map((s) => ({
      path: s.rfilename,
      size: s.lfs?.size ?? s.size ?? undefined,
      sha256: s.lfs?.sha256.toLowerCase(),
      blobId: s.lfs ? undefined : (s.blobId?.toLowerCase() ?? undefined),
    })),
  };
}

/**
 * Downloads the files of `repo` at `revision` that `include` selects into the Hugging Face cache and
 * returns the snapshot folder. Files already there and intact are not fetched again; an interrupted
 * download resumes where it stopped. `refs/{revision}` is written last, so findCachedModel never sees a
 * half-pulled snapshot as complete.
 */
export async function pullModel(options: PullModelOptions): Promise<PulledModel> {
  const env = options.env ?? process.env;
  const repo = options.repo;
  const revision = options.revision ?? 'main';
  assertRepoId(repo);
  assertRevision(revision);
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  if (envFlag(env.HF_HUB_OFFLINE)) {
    throw new ModelDownloadError(
      'offline',
      `cannot download ${repo}@${revision}: HF_HUB_OFFLINE is set, so the Hugging Face Hub is not contacted. ` +
        `Use the model from the local cache (${cacheDir}, see findCachedModel) or a local model folder, ` +
        'or unset HF_HUB_OFFLINE to allow the download.',
    );
  }
  const endpoint = (options.endpoint ?? env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const token = options.token || env.HF_TOKEN || undefined;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const { signal, log } = options;
  const paths = repoPaths(cacheDir, repo);

  const listingUrl = `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const listing = await withRetries(`listing of ${repo}@${revision}`, { retry, signal, log }, () =>
    fetchListing(fetchImpl, listingUrl, { repo, revision, token, signal }),
  );
  const { commit } = listing;

  const selected = selectFiles(listing, options.include ?? (() => true), `${repo}@${revision}`, listingUrl);

  const dir = paths.snapshotDir(commit);
  mkdirSync(dir, { recursive: true });
  const toFetch = selected.reduce((sum, f) => sum + (f.size ?? 0), 0);
  log?.(
    `pulling ${repo}@${revision} (commit ${commit.slice(0, 12)}): ${selected.length} files, ` +
      `${(toFetch / 1024 / 1024).toFixed(1)} MB, into ${dir}`,
  );
  const ctx = {
    fetch: fetchImpl,
    repo,
    revision,
    token,
    retry,
    lockDir: paths.locksDir,
    signal,
    log,
    onProgress: options.onProgress,
  };
  let downloaded = 0;
  for (const file of selected) {
    if (signal?.aborted) throw abortedError(`download of ${repo}`, signal, file.path);
    const url = `${endpoint}/${repo}/resolve/${commit}/${encodePath(file.path)}`;
    if (await ensureFile(ctx, file, url, dir)) downloaded++;
  }
  // Only now does the revision point at the snapshot. huggingface_hub writes no ref for a sha revision.
  if (revision !== commit) writeRef(paths, revision, commit);
  log?.(
    `${repo}@${revision}: ${downloaded} files downloaded, ${selected.length - downloaded} already cached`,
  );
  return { dir, commit, files: selected.map((f) => f.path) };
}

/**
 * The listed files `include` selects; a not-found error naming the revision when a file the filter
 * requires is not listed (with the ONNX files that are), or when it selects nothing.
 */
function selectFiles(
  listing: Listing,
  include: ModelFileFilter,
  what: string,
  listingUrl: string,
): RepoFile[] {
  const missing = (include.required ?? []).filter((path) => !listing.files.some((f) => f.path === path));
  if (missing.length > 0) {
    const onnx = listing.files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path);
    throw new ModelDownloadError(
      'not-found',
      `${what} (commit ${listing.commit}) has no ${missing.join(', ')}` +
        (onnx.length > 0 ? `; its ONNX files are ${onnx.join(', ')}` : '; it has no ONNX files at all'),
      { file: missing[0], url: listingUrl },
    );
  }
  const selected = listing.files.filter((f) => include(f.path));
  if (selected.length === 0) {
    throw new ModelDownloadError('not-found', `no file of ${what} matches the include filter`, {
      url: listingUrl,
    });
  }
  return selected;
}
