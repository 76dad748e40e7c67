/**
 * Group commit for appends: the appends to one collection that wait for the write lock at the same time are
 * made as one LanceDB commit.
 *
 * Why: a commit costs a fixed part besides its rows: measured ~15 ms per commit plus ~31 us per 768-d row on 2
 * cores (1,000 to 5,000 rows per commit, 1.1M rows in all), so at a GPU's ~28 shards/s of 1,000 one worker's
 * commits take nearly every turn of the lock, a third of it the fixed part. Grouped, the slower the commits get
 * the more shards each carries: in that run 1,100 shards went in 573 commits (~8 s less of the lock's time out
 * of ~50), and the table got half the versions and fragments. A group's rows land together or not at all (one
 * commit), so each shard is still stored whole or not at all, and every member of a failed group gets its error
 * (its job retries it alone, as a merge).
 *
 * Written by hand: it follows our write lock's turns; LanceDB has nothing of the kind.
 */
export class AppendGroups<T> {
  /** Per collection, the group still taking members: its writer has not yet got the lock's turn. */
  readonly #open = new Map<string, OpenGroup<T>>();

  /**
   * Adds `data` to the collection's open group, or opens one. The caller that opens a group runs `write`, which
   * must call `take` once it holds the lock's turn, and commit what `take` returns: its own data and that of
   * every caller that joined meanwhile (in the order they came). Each member's promise settles as `write` does.
   */
  add(name: string, data: T, write: (take: () => readonly T[]) => Promise<void>): Promise<void> {
    const open = this.#open.get(name);
    if (open !== undefined) {
      open.members.push(data);
      return open.done;
    }
    const group = new OpenGroup(data);
    this.#open.set(name, group);
    const take = () => {
      if (this.#open.get(name) === group) this.#open.delete(name);
      return group.members;
    };
    // Closed however `write` ends, so that nobody joins a group that will never be written.
    write(take).then(group.resolve, group.reject).finally(take);
    return group.done;
  }
}

class OpenGroup<T> {
  readonly members: T[];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(first: T) {
    this.members = [first];
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
