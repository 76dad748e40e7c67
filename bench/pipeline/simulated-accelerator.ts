/**
 * A simulated accelerator for the no-encoder worker (plumbing-worker.ts, BENCH_DEVICE_PASSAGES_PER_SECOND): it
 * embeds at a fixed total rate, off the host's cores (timers), in one of two ways:
 *
 * - `fifo`: one call at a time, in arrival order (a device that never runs two batches at once);
 * - `shared`: every call in hand at once, the rate split evenly between them (processor sharing), as several
 *   onnxruntime sessions share one GPU: two shards that start together also finish together.
 *
 * Written by hand: it is the benchmark's model of a device, nothing a library offers.
 */
export type DeviceSharing = 'fifo' | 'shared';

/** `value` as a DeviceSharing; anything else is an error naming `source` (a flag or a variable). */
export function deviceSharing(source: string, value: string): DeviceSharing {
  if (value !== 'fifo' && value !== 'shared')
    throw new Error(`${source} must be fifo or shared, got "${value}"`);
  return value;
}

interface Call {
  /** Passages still to embed. */
  remaining: number;
  readonly done: () => void;
}

export interface DeviceClock {
  now(): number;
  /** Runs `task` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, task: () => void): () => void;
}

const realClock: DeviceClock = {
  now: () => performance.now(),
  after: (ms, task) => {
    const timer = setTimeout(task, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

export class SimulatedDevice {
  readonly #perMs: number;
  readonly #sharing: DeviceSharing;
  readonly #clock: DeviceClock;
  readonly #calls: Call[] = [];
  /** When the calls' remaining work was last brought up to date. */
  #updatedAt = 0;
  #cancelNext: (() => void) | undefined;

  constructor(passagesPerSecond: number, sharing: DeviceSharing, clock: DeviceClock = realClock) {
    this.#perMs = passagesPerSecond / 1000;
    this.#sharing = sharing;
    this.#clock = clock;
  }

  /** Resolves once the device has embedded `passages`. */
  run(passages: number): Promise<void> {
    return new Promise((done) => {
      this.#advance();
      this.#calls.push({ remaining: passages, done });
      this.#scheduleNext();
    });
  }

  /** The calls progressing now: all of them when shared, the oldest when first in, first out. */
  #running(): Call[] {
    return this.#sharing === 'shared' ? this.#calls : this.#calls.slice(0, 1);
  }

  #advance(): void {
    const now = this.#clock.now();
    const running = this.#running();
    const each = ((now - this.#updatedAt) * this.#perMs) / Math.max(1, running.length);
    for (const call of running) call.remaining -= each;
    this.#updatedAt = now;
  }

  #scheduleNext(): void {
    this.#cancelNext?.();
    const running = this.#running();
    if (running.length === 0) return;
    const least = Math.min(...running.map((call) => call.remaining));
    const ms = (Math.max(0, least) * running.length) / this.#perMs;
    this.#cancelNext = this.#clock.after(ms, () => {
      this.#cancelNext = undefined;
      this.#advance();
      // Done within a thousandth of a passage: timers are not exact.
      for (const call of this.#running().filter((c) => c.remaining <= 1e-3)) {
        this.#calls.splice(this.#calls.indexOf(call), 1);
        call.done();
      }
      this.#scheduleNext();
    });
  }
}
