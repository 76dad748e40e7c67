// The on-disk layout of the Hugging Face cache, as huggingface_hub (Python) defines it, so that a model
// pulled by Embedline is visible to Python tools and a model Python already pulled is reused here:
//
//   {cacheDir}/models--{owner}--{name}/refs/{revision}             the commit sha, one line, no newline
//   {cacheDir}/models--{owner}--{name}/snapshots/{commit}/{path}   the files
//   {cacheDir}/models--{owner}--{name}/blobs/{etag}                (Python only: snapshot entries link here)
//
// We write real files into the snapshot folder; Python writes symlinks into blobs/. Readers here follow
// links, so both work.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The environment variables this module reads; tests pass their own instead of touching process.env. */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** A 40-hex git sha1 (or a 64-hex sha256 for repos that will use it). */
export const COMMIT_SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. */
export function defaultCacheDir(env: HubEnv = process.env): string {
  const hubCache = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hubCache) return resolve(expandHome(hubCache));
  const hfHome = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  return resolve(expandHome(hfHome), 'hub');
}

/** huggingface_hub's reading of boolean variables such as HF_HUB_OFFLINE. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

/**
 * `owner/name` (or a legacy bare `name`) as the hub allows it. Checked before the id becomes part of a
 * folder name or URL, so `..` or extra slashes can never escape the cache.
 */
export function assertRepoId(repo: string): void {
  const valid =
    /^(?:[\w.-]+\/)?[\w.-]+$/.test(repo) &&
    !repo.includes('--') &&
    !repo.includes('..') &&
    !repo.split('/').some((part) => part.startsWith('.') || part.startsWith('-')) &&
    repo.length <= 96;
  if (!valid)
    throw new TypeError(`invalid Hugging Face repo id ${JSON.stringify(repo)}: expected "owner/name"`);
}

/** A branch, tag, `refs/pr/N` or commit sha; it becomes a path under refs/, so no `..` or empty segments. */
export function assertRevision(revision: string): void {
  const segments = revision.split('/');
  const valid =
    revision.length > 0 &&
    !isAbsolute(revision) &&
    !revision.includes('\\') &&
    !revision.includes('\0') &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..');
  if (!valid) throw new TypeError(`invalid revision ${JSON.stringify(revision)}`);
}

/** `models--owner--name`, huggingface_hub's folder name for a model repo. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export interface RepoPaths {
  readonly repoDir: string;
  refFile(revision: string): string;
  snapshotDir(commit: string): string;
  /** Where pullModel keeps its per-file lock files (huggingface_hub keeps its own in the same folder). */
  readonly locksDir: string;
}

export function repoPaths(cacheDir: string, repo: string): RepoPaths {
  assertRepoId(repo);
  const repoDir = join(cacheDir, repoFolderName(repo));
  return {
    repoDir,
    refFile: (revision) => {
      assertRevision(revision);
      return join(repoDir, 'refs', ...revision.split('/'));
    },
    snapshotDir: (commit) => {
      if (!COMMIT_SHA.test(commit)) throw new TypeError(`invalid commit sha ${JSON.stringify(commit)}`);
      return join(repoDir, 'snapshots', commit);
    },
    locksDir: join(cacheDir, '.locks', repoFolderName(repo)),
  };
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export interface FindCachedModelOptions {
  readonly repo: string;
  /** A branch, tag or commit sha (default `main`). */
  readonly revision?: string;
  readonly cacheDir?: string;
  /** Where HF_HUB_CACHE / HF_HOME are read from (default process.env). */
  readonly env?: HubEnv;
}

/**
 * The snapshot folder of `repo` at `revision` in the local cache, or undefined when it is not there.
 * A branch or tag counts only once its refs file exists, which pullModel writes after the last file is
 * complete. A commit sha is also accepted directly when its snapshot folder exists (huggingface_hub
 * writes no refs file for downloads pinned to a sha).
 */
export function findCachedModel(options: FindCachedModelOptions): string | undefined {
  const revision = options.revision ?? 'main';
  const paths = repoPaths(options.cacheDir ?? defaultCacheDir(options.env), options.repo);
  const refFile = paths.refFile(revision);
  if (existsSync(refFile)) {
    const commit = readFileSync(refFile, 'utf8').trim();
    if (!COMMIT_SHA.test(commit)) return undefined;
    const dir = paths.snapshotDir(commit);
    return isDirectory(dir) ? dir : undefined;
  }
  if (COMMIT_SHA.test(revision)) {
    const dir = paths.snapshotDir(revision);
    return isDirectory(dir) ? dir : undefined;
  }
  return undefined;
}

/** Writes `refs/{revision}` atomically (temp file + rename), the way huggingface_hub does: the sha, no newline. */
export function writeRef(paths: RepoPaths, revision: string, commit: string): void {
  const refFile = paths.refFile(revision);
  mkdirSync(dirname(refFile), { recursive: true });
  const temp = `${refFile}.${process.pid}.tmp`;
  writeFileSync(temp, commit);
  renameSync(temp, refFile);
}
