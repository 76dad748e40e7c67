import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiKeysFileError } from './errors/api-keys-file-error.ts';

export type KeyScope = 'read' | 'admin';

/** Who made a request: a key's public id (a hash prefix, safe to log and to rate-limit by) and its scope. */
export interface Caller {
  readonly keyId: string;
  readonly scope: KeyScope;
}

interface StoredKey extends Caller {
  readonly digest: Buffer;
}

/** Keys shorter than this are refused at start-up: they are guessable within the rate limit. */
export const MIN_KEY_LENGTH = 16;

/**
 * The API keys the service accepts. Only SHA-256 digests are kept. A presented key is hashed and compared
 * with every stored digest by `timingSafeEqual` (equal-length buffers, no early exit), so response time
 * says nothing about how much of a key was right.
 */
export class ApiKeyring {
  private readonly keys: StoredKey[];

  constructor(keys: { readonly read?: readonly string[]; readonly admin?: readonly string[] }) {
    const entries = [
      ...(keys.read ?? []).map((key) => ({ key, scope: 'read' as const })),
      ...(keys.admin ?? []).map((key) => ({ key, scope: 'admin' as const })),
    ];
    this.keys = entries.map(({ key, scope }, i) => {
      if (key.length < MIN_KEY_LENGTH) {
        throw new RangeError(
          `API key #${i + 1} (${scope}) is ${key.length} characters; keys need at least ${MIN_KEY_LENGTH}`,
        );
      }
      const digest = sha256(key);
      return { digest, scope, keyId: digest.toString('hex').slice(0, 12) };
    });
  }

  /** Whether any key is configured; without keys the read routes are open (and the admin ones closed). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  get hasAdminKeys(): boolean {
    return this.keys.some((key) => key.scope === 'admin');
  }

  /** The caller a presented key belongs to, or undefined. An admin key is also a read key. */
  identify(presented: string): Caller | undefined {
    const digest = sha256(presented);
    let match: StoredKey | undefined;
    for (const key of this.keys) {
      // No early exit: every key is compared, whichever matches.
      if (timingSafeEqual(digest, key.digest) && (match === undefined || key.scope === 'admin')) match = key;
    }
    return match === undefined ? undefined : { keyId: match.keyId, scope: match.scope };
  }
}

/** `<read|admin> <key>` per line; blank lines and `#` comments are skipped. */
export function readApiKeysFile(path: string): { read: string[]; admin: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ApiKeysFileError(path, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  const keys = { read: [] as string[], admin: [] as string[] };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(read|admin)\s+(\S+)$/.exec(line);
    // The line is not quoted back: it may hold a key.
    if (match === null) throw new ApiKeysFileError(path, `line ${index + 1} is not "<read|admin> <key>"`);
    keys[match[1] as KeyScope].push(match[2]!);
  });
  return keys;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
