import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimulatedDevice, deviceSharing, type DeviceClock } from './simulated-accelerator.ts';

/** A clock that moves only when told: timers fire in time order as `runUntilIdle` advances it. */
class ManualClock implements DeviceClock {
  time = 0;
  #timers: { at: number; task: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.time;
  }

  after(ms: number, task: () => void): () => void {
    const timer = { at: this.time + ms, task, cancelled: false };
    this.#timers.push(timer);
    return () => (timer.cancelled = true);
  }

  async runUntilIdle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // let resolved calls' callbacks run
      const live = this.#timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at);
      const next = live[0];
      if (next === undefined) return;
      this.#timers = live.slice(1);
      this.time = next.at;
      next.task();
    }
  }
}

/** When each of two 1,000-passage calls, made together, ends on a 10,000 passages/s device. */
async function finishTimes(sharing: 'fifo' | 'shared'): Promise<number[]> {
  const clock = new ManualClock();
  const device = new SimulatedDevice(10_000, sharing, clock);
  const ends: number[] = [];
  const calls = [device.run(1000), device.run(1000)].map((call) => call.then(() => ends.push(clock.time)));
  await clock.runUntilIdle();
  await Promise.all(calls);
  return ends;
}

describe('SimulatedDevice', () => {
  test('fifo: one call at a time, each at the full rate', async () => {
    assert.deepEqual(await finishTimes('fifo'), [100, 200]);
  });

  test('shared: the calls split the rate and finish together, the same total work', async () => {
    assert.deepEqual(await finishTimes('shared'), [200, 200]);
  });

  test('shared: a call arriving later gets its share from then on', async () => {
    const clock = new ManualClock();
    const device = new SimulatedDevice(10_000, 'shared', clock);
    const ends: Record<string, number> = {};
    const first = device.run(1000).then(() => (ends.first = clock.time));
    clock.after(50, () => void device.run(500).then(() => (ends.second = clock.time)));
    await clock.runUntilIdle();
    await first;
    // 0-50 ms: the first alone (500 done); then both at 5,000/s: 500 each take 100 ms more.
    assert.deepEqual(ends, { first: 150, second: 150 });
  });

  test('a sharing mode other than fifo or shared is refused, naming where it came from', () => {
    assert.equal(deviceSharing('--sharing', 'shared'), 'shared');
    assert.throws(() => deviceSharing('BENCH_DEVICE_SHARING', 'round-robin'), {
      message: 'BENCH_DEVICE_SHARING must be fifo or shared, got "round-robin"',
    });
  });
});
