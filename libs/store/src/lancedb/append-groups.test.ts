import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppendGroups } from './append-groups.ts';

/** A write that waits for `turn` before it takes its group, as the store's waits for the lock; records the groups. */
function gatedWriter(groups: string[][], turn: Promise<void>, fail?: Error) {
  return async (take: () => readonly string[]) => {
    await turn;
    groups.push([...take()]);
    if (fail !== undefined) throw fail;
  };
}

/** A turn that comes when `open` is called. */
function gate() {
  let open!: () => void;
  const turn = new Promise<void>((resolve) => (open = resolve));
  return { turn, open };
}

describe('AppendGroups', () => {
  test('appends that come while the first waits for its turn are written with it, in order', async () => {
    const appends = new AppendGroups<string>();
    const groups: string[][] = [];
    const { turn, open } = gate();
    const write = gatedWriter(groups, turn);
    const settled = ['a', 'b', 'c'].map((data) => appends.add('docs', data, write));
    open();
    await Promise.all(settled);
    assert.deepEqual(groups, [['a', 'b', 'c']]);
  });

  test('an append that comes after the group was taken opens the next group', async () => {
    const appends = new AppendGroups<string>();
    const groups: string[][] = [];
    const first = appends.add('docs', 'a', gatedWriter(groups, Promise.resolve()));
    await first;
    await appends.add('docs', 'b', gatedWriter(groups, Promise.resolve()));
    assert.deepEqual(groups, [['a'], ['b']]);
  });

  test('collections are grouped apart', async () => {
    const appends = new AppendGroups<string>();
    const groups: string[][] = [];
    const { turn, open } = gate();
    const write = gatedWriter(groups, turn);
    const settled = [
      appends.add('docs', 'a', write),
      appends.add('news', 'x', write),
      appends.add('docs', 'b', write),
    ];
    open();
    await Promise.all(settled);
    assert.deepEqual(groups, [['a', 'b'], ['x']]);
  });

  test('a failed write fails every member of its group, and the next append opens a new one', async () => {
    const appends = new AppendGroups<string>();
    const groups: string[][] = [];
    const broken = new Error('store down');
    const { turn, open } = gate();
    const settled = ['a', 'b'].map((data) => appends.add('docs', data, gatedWriter(groups, turn, broken)));
    open();
    for (const result of await Promise.allSettled(settled)) {
      assert.equal(result.status, 'rejected');
      assert.equal((result as PromiseRejectedResult).reason, broken);
    }
    await appends.add('docs', 'c', gatedWriter(groups, Promise.resolve()));
    assert.deepEqual(groups, [['a', 'b'], ['c']]);
  });

  test('a write that fails before taking its group fails the members that joined, and closes the group', async () => {
    const appends = new AppendGroups<string>();
    let fail!: (error: Error) => void;
    const turn = new Promise<void>((_, reject) => (fail = reject));
    const write = async (take: () => readonly string[]) => {
      await turn; // the lock could not be had
      take();
    };
    const settled = ['a', 'b'].map((data) => appends.add('docs', data, write));
    fail(new Error('no turn'));
    for (const result of await Promise.allSettled(settled)) assert.equal(result.status, 'rejected');
    const groups: string[][] = [];
    await appends.add('docs', 'c', gatedWriter(groups, Promise.resolve()));
    assert.deepEqual(groups, [['c']]);
  });
});
