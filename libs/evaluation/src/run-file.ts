import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EvaluationInputError } from './errors/evaluation-input-error.ts';

/**
 * Checks, before anything is loaded or encoded, that the run file can be written where asked: not a
 * folder, a device or a pipe, not one of the inputs (the run would replace it), in a folder that exists or can be created
 * and that may be written to. The folder is created; the file itself is not left behind. Every problem
 * is an EvaluationInputError naming the run path.
 */
export async function checkRunPath(
  runPath: string,
  inputs: readonly { readonly what: string; readonly path: string }[] = [],
): Promise<void> {
  const fail = (problem: string, cause?: unknown) =>
    new EvaluationInputError(runPath, problem, cause === undefined ? undefined : { cause });
  const target = await stat(runPath).catch(() => undefined);
  if (target?.isDirectory()) throw fail('is a folder: name the run file (e.g. --run <folder>/run.trec)');
  // The run is written beside it and renamed over it: a device or a pipe (/dev/stdout) would be replaced.
  if (target !== undefined && !target.isFile())
    throw fail('is not a regular file (a device or a pipe?): the run is written to a file, then renamed');
  for (const { what, path } of inputs) {
    const input = await stat(path).catch(() => undefined);
    const same =
      resolve(path) === resolve(runPath) ||
      (target !== undefined && input !== undefined && input.dev === target.dev && input.ino === target.ino);
    if (same) throw fail(`is the ${what} file: the run would overwrite it`);
  }
  const folder = dirname(runPath);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw fail(`cannot create its folder ${folder} (${problemOf(error)})`, error);
  }
  const probe = `${runPath}.partial`;
  try {
    await (await open(probe, 'w')).close();
  } catch (error) {
    throw fail(`cannot be written in ${folder} (${problemOf(error)})`, error);
  }
  await rm(probe, { force: true });
}

function problemOf(error: unknown): string {
  switch ((error as { code?: string }).code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way of a folder';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (error as Error).message;
  }
}
