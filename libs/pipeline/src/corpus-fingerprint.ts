import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

const SAMPLE = 4 << 20;

/**
 * Identifies a corpus by its content, cheaply: size plus the first and last 4 MiB. The same file
 * copied to another machine (another path, another mtime) keeps its fingerprint, so job ids and
 * shard keys stay the same; an edited or truncated file gets a new one. (A change confined to the
 * middle of a large file is not seen here, but is caught by the workers' per-shard record counts.)
 */
export async function fingerprintCorpus(path: string): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha256').update(`embedline-corpus-v1:${size}:`);
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(SAMPLE, size));
    await file.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > SAMPLE) {
      const tail = Buffer.alloc(Math.min(SAMPLE, size - SAMPLE));
      await file.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}
