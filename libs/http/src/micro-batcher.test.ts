import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroBatcher, type BatchReport } from './micro-batcher.ts';

/** A fake encoder: text "n" embeds as [n, n]; every call is recorded and can be held open. */
function fakeEncoder() {
  const calls: string[][] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  const encode = async (texts: readonly string[]) => {
    calls.push([...texts]);
    if (hold) await new Promise<void>((resolve) => gates.push(resolve));
    return texts.map((t) => Float32Array.of(Number(t), Number(t)));
  };
  return {
    encode,
    calls,
    holdCalls: () => (hold = true),
    release: () => {
      hold = false;
      gates.splice(0).forEach((open) => open());
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('MicroBatcher', () => {
  test('requests made together share one call, and each gets its own rows back', async () => {
    const fake = fakeEncoder();
    const reports: BatchReport[] = [];
    const batcher = new MicroBatcher(fake.encode, {
      maxWaitMs: 1,
      maxBatch: 64,
      onBatch: (r) => reports.push(r),
    });
    const results = await Promise.all([
      batcher.submit(['1']),
      batcher.submit(['2', '3']),
      batcher.submit(['4']),
    ]);
    assert.deepEqual(fake.calls, [['1', '2', '3', '4']]);
    assert.deepEqual(
      results.map((rows) => rows.map((v) => Array.from(v))),
      [
        [[1, 1]],
        [
          [2, 2],
          [3, 3],
        ],
        [[4, 4]],
      ],
    );
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.items, 4);
    assert.equal(reports[0]!.requests, 3);
  });

  test('a full batch leaves without waiting; the rest goes in the next call', async () => {
    const fake = fakeEncoder();
    // A wait far longer than the test: only the size bound can send the first batch.
    const batcher = new MicroBatcher(fake.encode, { maxWaitMs: 60_000, maxBatch: 3 });
    const first = [batcher.submit(['1']), batcher.submit(['2']), batcher.submit(['3'])];
    await Promise.all(first);
    assert.deepEqual(fake.calls, [['1', '2', '3']]);
  });

  test("a request's texts stay in one call, even past maxBatch", async () => {
    const fake = fakeEncoder();
    const batcher = new MicroBatcher(fake.encode, { maxWaitMs: 0, maxBatch: 2 });
    const [a, b] = await Promise.all([batcher.submit(['1']), batcher.submit(['2', '3', '4'])]);
    assert.deepEqual(fake.calls, [['1'], ['2', '3', '4']]);
    assert.equal(a.length, 1);
    assert.equal(b.length, 3);
  });

  test('while a call runs, later requests gather and go together when it ends', async () => {
    const fake = fakeEncoder();
    const batcher = new MicroBatcher(fake.encode, { maxWaitMs: 0, maxBatch: 64 });
    fake.holdCalls();
    const first = batcher.submit(['1']);
    await tick();
    assert.deepEqual(fake.calls, [['1']]);
    const later = [batcher.submit(['2']), batcher.submit(['3']), batcher.submit(['4'])];
    await tick();
    assert.equal(fake.calls.length, 1, 'nothing leaves while the one call slot is busy');
    assert.equal(batcher.waiting, 3);
    fake.release();
    await first;
    await Promise.all(later);
    assert.deepEqual(fake.calls, [['1'], ['2', '3', '4']]);
  });

  test('requests left out of a full batch go in the next call, without a new wait', async () => {
    const fake = fakeEncoder();
    // Only the size bound and call completions can send anything here: the wait is longer than the test.
    const batcher = new MicroBatcher(fake.encode, { maxWaitMs: 60_000, maxBatch: 2 });
    fake.holdCalls();
    const first = Promise.all([batcher.submit(['1']), batcher.submit(['2'])]);
    const rest = Promise.all(['3', '4', '5'].map((t) => batcher.submit([t])));
    await tick();
    fake.release();
    await Promise.all([first, rest]);
    assert.deepEqual(fake.calls, [['1', '2'], ['3', '4'], ['5']]);
  });

  test('a failed call rejects exactly the requests in it', async () => {
    let calls = 0;
    const batcher = new MicroBatcher(
      async (texts) => {
        calls += 1;
        if (calls === 1) throw new Error('inference failed');
        return texts.map(() => new Float32Array(1));
      },
      { maxWaitMs: 0, maxBatch: 64 },
    );
    const failed = Promise.all([batcher.submit(['a']), batcher.submit(['b'])]);
    await assert.rejects(failed, /inference failed/);
    assert.equal((await batcher.submit(['c'])).length, 1, 'the next call works');
  });

  test('an empty request needs no call', async () => {
    const fake = fakeEncoder();
    const batcher = new MicroBatcher(fake.encode, { maxWaitMs: 0, maxBatch: 4 });
    assert.deepEqual(await batcher.submit([]), []);
    assert.equal(fake.calls.length, 0);
  });
});
