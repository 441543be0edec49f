// The shared tick of one ffmpeg run's pipe I/O: the stdin side takes the
// subscription's frames and the output sides read their sockets only at tick
// boundaries (multiples of `intervalMs` on the host's clock), so each wake-up
// of our event loop drains several frames or FLV tags instead of one, while
// x264 occupies the cores. One clock timer per run at most (armed only while
// someone waits); every waiter of a tick resumes from that one timer.
// Boundaries are absolute multiples of the interval, so the runs of one host
// wake together too. Latency: a frame waits at most one interval before it
// is written and at most one more before its output is read (half of each
// on average). `intervalMs <= 0`: no tick, I/O as events arrive.
import type { Clock } from "../src/clock.ts";

/** One run's pacing of pipe reads and writes. */
export class IoTick {
  #clock: Clock;
  #intervalMs: number;
  #waiters: (() => void)[] = [];
  #cancel: (() => void) | undefined;
  #closed = false;

  constructor(clock: Clock, intervalMs: number) {
    this.#clock = clock;
    this.#intervalMs = intervalMs > 0 ? intervalMs : 0;
  }

  /** False when I/O is not paced (interval 0) or the run ended. */
  get active(): boolean {
    return this.#intervalMs > 0 && !this.#closed;
  }

  /** Resolves at the next tick boundary (at once once closed). */
  wait(): Promise<void> {
    if (!this.active) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      if (this.#cancel !== undefined) return;
      const now = this.#clock.now();
      const every = this.#intervalMs;
      const next = (Math.floor(now / every) + 1) * every;
      this.#cancel = this.#clock.setTimer(next - now, () => this.#fire());
    });
  }

  /** The run ended: release every waiter; later waits resolve at once. */
  close(): void {
    this.#closed = true;
    this.#cancel?.();
    this.#fire();
  }

  #fire(): void {
    this.#cancel = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
