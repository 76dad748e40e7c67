/**
 * A file-system error met while reading a file, in the words every reader of this project uses: `no such file`,
 * `not readable (permission denied)`, a folder (as `folder` says it: corpus readers say `not a regular file`),
 * else `cannot read: <the error's message>`. The code may sit on the error or on its cause.
 */
export function readProblem(error: unknown, folder = 'not a regular file'): string {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'not readable (permission denied)';
  if (code === 'EISDIR') return folder;
  return `cannot read: ${error instanceof Error ? error.message : String(error)}`;
}
