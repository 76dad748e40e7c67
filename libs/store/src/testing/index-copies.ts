import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Index folders under a Lance table folder that still hold files: LanceDB leaves a pruned index's folder
 * empty, and a table without an index has no `_indices` folder at all (0). For tests and benchmarks that
 * check what finalize leaves on disk.
 */
export function indexCopiesOnDisk(tableDir: string): number {
  const indexDir = join(tableDir, '_indices');
  if (!existsSync(indexDir)) return 0;
  return readdirSync(indexDir).filter((uuid) => readdirSync(join(indexDir, uuid)).length > 0).length;
}
