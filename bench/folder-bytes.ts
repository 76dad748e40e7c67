import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of the files under `path`, recursively; NaN when the folder cannot be read (a run that left none). */
export function folderBytes(path: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
    }
  } catch {
    return NaN;
  }
  return total;
}
