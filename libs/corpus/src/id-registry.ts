/**
 * The ids seen so far in one read, to reject duplicates: the one structure that grows with the
 * corpus, so it is kept compact.
 *
 * - Decimal ids (`0`, `42`; MS MARCO pids) live in a bitset, grown while it stays dense enough
 *   (always up to 2^24 ids = 2 MiB; beyond, while at least 1 id in 64 is used, i.e. <= 8 bytes per
 *   id): 8.8M pids take 2 MiB.
 * - Every other id (and a decimal id too large or too sparse for the bitset) is kept as a 64-bit
 *   FNV-1a hash of its UTF-8 bytes, with its line, in an open-addressing table of typed arrays:
 *   12 bytes a slot, at most 70% full, so 17-34 bytes per id (8.8M string ids: ~200 MiB at worst).
 *   Two different ids share a 64-bit hash with probability ~n^2 / 2^65: about 2e-6 for 8.8M ids,
 *   1e-3 for 200M. Such a pair would reject the second id as a duplicate of the first (reported, never
 *   silent); exact string sets would cost ~10x the memory.
 *
 * The reject names the line of the first occurrence. Holding a line per decimal id would cost 32
 * bits per id instead of 1, so the bitset's lines are kept as runs: ids that arrive in increasing
 * order with a constant (line - id) are one run, which is all of MS MARCO (line = pid + 1) and of
 * any corpus sorted by id, with a new run after each skipped or rejected line; an id arriving out of
 * order has its line kept in the hash table. Worst case (every id breaks the run) is 16-32 bytes per id.
 */
export class IdRegistry {
  private bits = new Uint32Array(0);
  private denseCount = 0;
  /** Largest id put in the bitset so far (-1: none): ids above it extend the runs. */
  private lastDenseId = -1;
  private runStarts: Float64Array = new Float64Array(16);
  /** line - id for each run; NaN for a run of unknown lines. */
  private runDeltas: Float64Array = new Float64Array(16);
  private runCount = 0;
  private readonly hashed = new HashedLines();
  /** Decimal ids in `hashed` as members (not just lines), so a bitset miss must look there too. */
  private hashedDecimals = 0;

  /** Distinct ids recorded. */
  get size(): number {
    return this.denseCount + this.hashed.members;
  }

  /** Bytes held by the typed arrays: the registry's memory, near enough. */
  get byteSize(): number {
    return (
      this.bits.byteLength + this.runStarts.byteLength + this.runDeltas.byteLength + this.hashed.byteSize
    );
  }

  /**
   * Records `id` as seen on `line` (0 when unknown). Returns undefined when the id is new, else the
   * line where it was first seen (0 when that is unknown).
   */
  add(id: string, line: number): number | undefined {
    const n = decimalId(id);
    if (n >= 0 && this.covers(n)) {
      const word = Math.floor(n / 32); // not n >>> 5: ids may pass 2^32 in a big enough corpus
      const bit = 1 << (n % 32);
      if ((this.bits[word]! & bit) !== 0) return this.denseLine(id, n);
      if (this.hashedDecimals > 0) {
        const first = this.hashed.get(id);
        if (first !== undefined) return first;
      }
      this.bits[word]! |= bit;
      this.denseCount += 1;
      this.noteLine(id, n, line);
      return undefined;
    }
    const first = this.hashed.add(id, line, true);
    if (first === undefined && n >= 0) this.hashedDecimals += 1;
    return first;
  }

  /** Whether the bitset holds (or may grow to hold) id n. */
  private covers(n: number): boolean {
    const capacity = this.bits.length * 32;
    if (n < capacity) return true;
    let wanted = Math.max(capacity * 2, MIN_BITS);
    while (wanted <= n) wanted *= 2;
    if (wanted > FREE_BITS && wanted > DENSITY * (this.denseCount + 1)) return false;
    const grown = new Uint32Array(wanted / 32);
    grown.set(this.bits);
    this.bits = grown;
    return true;
  }

  private noteLine(id: string, n: number, line: number): void {
    if (n <= this.lastDenseId) {
      this.hashed.add(id, line, false);
      return;
    }
    this.lastDenseId = n;
    const delta = line === 0 ? NaN : line - n;
    const current = this.runCount > 0 ? this.runDeltas[this.runCount - 1]! : undefined;
    if (current !== undefined && (current === delta || (Number.isNaN(current) && Number.isNaN(delta))))
      return;
    if (this.runCount === this.runStarts.length) {
      this.runStarts = grow(this.runStarts);
      this.runDeltas = grow(this.runDeltas);
    }
    this.runStarts[this.runCount] = n;
    this.runDeltas[this.runCount] = delta;
    this.runCount += 1;
  }

  private denseLine(id: string, n: number): number {
    if (this.hashed.size > 0) {
      const line = this.hashed.get(id);
      if (line !== undefined) return line;
    }
    // The last run starting at or below n holds it: runs start at increasing ids.
    let low = 0;
    let high = this.runCount - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.runStarts[mid]! <= n) low = mid;
      else high = mid - 1;
    }
    const delta = this.runDeltas[low]!;
    return Number.isNaN(delta) ? 0 : n + delta;
  }
}

const MIN_BITS = 1 << 16;
const FREE_BITS = 1 << 24;
const DENSITY = 64;
const UNKNOWN_LINE = 0xffffffff;

function grow(array: Float64Array): Float64Array {
  const grown = new Float64Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** The value of a canonical decimal id (no sign, no leading zero, at most 15 digits), else -1. */
function decimalId(id: string): number {
  const length = id.length;
  if (length === 0 || length > 15) return -1;
  const first = id.charCodeAt(0);
  if (first < 48 || first > 57 || (first === 48 && length > 1)) return -1;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = id.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * 64-bit hashes of ids, each with a line, in open addressing with linear probing. A slot is empty
 * when its hash is 0 (a real 0 hash is stored as 1). Member entries are ids seen; the others only
 * carry the line of a bitset id that arrived out of order (they are counted apart, nothing more).
 */
class HashedLines {
  private keys = new Uint32Array(2 * 1024);
  private lines = new Uint32Array(1024);
  private mask = 1023;
  size = 0;
  members = 0;

  get byteSize(): number {
    return this.keys.byteLength + this.lines.byteLength;
  }

  get(id: string): number | undefined {
    hash(id);
    const slot = this.find(hashHi, hashLo);
    if (this.keys[2 * slot] === 0 && this.keys[2 * slot + 1] === 0) return undefined;
    return lineOut(this.lines[slot]!);
  }

  /** Returns the stored line when the hash is there already, else stores it and returns undefined. */
  add(id: string, line: number, member: boolean): number | undefined {
    hash(id);
    const hi = hashHi;
    const lo = hashLo;
    const slot = this.find(hi, lo);
    if (this.keys[2 * slot] !== 0 || this.keys[2 * slot + 1] !== 0) return lineOut(this.lines[slot]!);
    this.keys[2 * slot] = hi;
    this.keys[2 * slot + 1] = lo;
    this.lines[slot] = line > 0 && line < UNKNOWN_LINE ? line : UNKNOWN_LINE;
    this.size += 1;
    if (member) this.members += 1;
    if (this.size * 10 > (this.mask + 1) * 7) this.rehash();
    return undefined;
  }

  private find(hi: number, lo: number): number {
    // Fibonacci hashing of both halves picks the start slot: FNV's low bits alone cluster.
    let slot = (Math.imul(hi ^ Math.imul(lo, 0x85ebca6b), 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const h = this.keys[2 * slot]!;
      const l = this.keys[2 * slot + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private rehash(): void {
    const { keys, lines } = this;
    const capacity = (this.mask + 1) * 2;
    this.keys = new Uint32Array(2 * capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < lines.length; i++) {
      const hi = keys[2 * i]!;
      const lo = keys[2 * i + 1]!;
      if (hi === 0 && lo === 0) continue;
      const slot = this.find(hi, lo);
      this.keys[2 * slot] = hi;
      this.keys[2 * slot + 1] = lo;
      this.lines[slot] = lines[i]!;
    }
  }
}

function lineOut(stored: number): number {
  return stored === UNKNOWN_LINE ? 0 : stored;
}

// The last hash computed, as two 32-bit halves: module state rather than a returned pair, so
// hashing allocates nothing per id.
let hashHi = 0;
let hashLo = 0;

/**
 * FNV-1a 64 of the UTF-8 bytes of `text`, computed in four 16-bit limbs (JS numbers hold 53 bits, so
 * a 64-bit multiply is done by hand; BigInt would be ~20x slower). Leaves the result in hashHi/hashLo.
 */
function hash(text: string): void {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const feed = (byte: number) => {
    h0 ^= byte;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), limb by limb.
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
    h2 = t2 & 0xffff;
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      feed(code);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 1;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd; // a lone surrogate encodes as U+FFFD, as TextEncoder does
    if (code < 0x800) {
      feed(0xc0 | (code >> 6));
    } else if (code < 0x10000) {
      feed(0xe0 | (code >> 12));
      feed(0x80 | ((code >> 6) & 0x3f));
    } else {
      feed(0xf0 | (code >> 18));
      feed(0x80 | ((code >> 12) & 0x3f));
      feed(0x80 | ((code >> 6) & 0x3f));
    }
    feed(0x80 | (code & 0x3f));
  }
  hashHi = ((h3 << 16) | h2) >>> 0;
  hashLo = ((h1 << 16) | h0) >>> 0;
  if (hashHi === 0 && hashLo === 0) hashLo = 1;
}

/** FNV-1a 64 of the UTF-8 bytes of `text` (as the registry computes it; exported for tests). */
export function fnv1a64(text: string): bigint {
  hash(text);
  return (BigInt(hashHi) << 32n) | BigInt(hashLo);
}
