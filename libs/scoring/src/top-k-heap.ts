/** One search hit: a corpus row id (its position in the corpus) and its score. */
export interface ScoredId {
  readonly corpusId: number;
  readonly score: number;
}

/**
 * Keeps the best `capacity` (score, id) pairs seen so far, best meaning higher score, then lower id.
 *
 * It is a binary min-heap whose root is the worst pair kept, so a candidate that cannot enter (almost
 * every corpus row, once the heap is full) costs one comparison, and one that can costs O(log k): a
 * search over n rows is O(n log k) and never sorts the corpus.
 *
 * Hand-written rather than taken from a package because it is the core of exact search: the order
 * must be total and deterministic (equal scores -> lower id first, whatever order rows arrive in, so
 * chunked, streamed and brute-force searches agree exactly), and it must not allocate per element,
 * so scores and ids live in two typed arrays instead of an array of objects. The arrays start small
 * and double up to `capacity`, so a generous k ("all of them") over a small corpus costs nothing.
 */
const INITIAL_ROOM = 64;

export class TopKHeap {
  readonly capacity: number;
  private scores: Float64Array;
  // Float64 holds any safe-integer id; k is small, so the width costs nothing.
  private ids: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new Error(`TopKHeap: capacity must be a non-negative integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.scores = new Float64Array(Math.min(capacity, INITIAL_ROOM));
    this.ids = new Float64Array(this.scores.length);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Considers one pair; returns whether it was kept. NaN has no place in a total order, so it is
   * refused rather than silently kept or dropped depending on how full the heap is.
   */
  offer(score: number, id: number): boolean {
    if (score !== score) throw new Error(`TopKHeap: score of id ${id} is NaN`);
    if (this.count < this.capacity) {
      if (this.count === this.scores.length) this.grow();
      this.siftUp(this.count++, score, id);
      return true;
    }
    if (this.capacity === 0 || !isBetter(score, id, this.scores[0]!, this.ids[0]!)) return false;
    this.siftDown(0, score, id);
    return true;
  }

  /** The kept pairs, best first; empties the heap so it can be reused for the next query. */
  drain(): ScoredId[] {
    const out = new Array<ScoredId>(this.count);
    // Popping the worst pair each time fills the output from its end.
    for (let i = this.count - 1; i >= 0; i--) {
      out[i] = { corpusId: this.ids[0]!, score: this.scores[0]! };
      const last = --this.count;
      if (last > 0) this.siftDown(0, this.scores[last]!, this.ids[last]!);
    }
    return out;
  }

  private grow(): void {
    const room = Math.min(this.capacity, this.scores.length * 2);
    const scores = new Float64Array(room);
    const ids = new Float64Array(room);
    scores.set(this.scores);
    ids.set(this.ids);
    this.scores = scores;
    this.ids = ids;
  }

  /** Moves the hole at `i` up until (score, id) fits there, then stores it. */
  private siftUp(i: number, score: number, id: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!isBetter(this.scores[parent]!, this.ids[parent]!, score, id)) break;
      this.scores[i] = this.scores[parent]!;
      this.ids[i] = this.ids[parent]!;
      i = parent;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }

  /** Moves the hole at `i` down, over the worse child each time, until (score, id) fits there. */
  private siftDown(i: number, score: number, id: number): void {
    const n = this.count;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        isBetter(this.scores[child]!, this.ids[child]!, this.scores[right]!, this.ids[right]!)
      ) {
        child = right;
      }
      if (!isBetter(score, id, this.scores[child]!, this.ids[child]!)) break;
      this.scores[i] = this.scores[child]!;
      this.ids[i] = this.ids[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }
}

/** Whether (s1, id1) ranks above (s2, id2): higher score, or the same score and a lower id. */
export function isBetter(s1: number, id1: number, s2: number, id2: number): boolean {
  return s1 > s2 || (s1 === s2 && id1 < id2);
}
