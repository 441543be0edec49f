/**
 * Time, injected: {@linkcode Clock}, {@linkcode systemClock} and
 * {@linkcode ManualClock}.
 *
 * The kernel never reads the wall clock or calls `setTimeout` directly: the
 * engine's single housekeeping timer (reaper, QoS ticks, shutdown deadline)
 * and every timestamp it records come from the `Clock` given to
 * `Engine.builder().clock(…)`. Tests use a `ManualClock` and advance it, so
 * reapers and timeouts are exercised without sleeping. A `ManualClock` holds
 * only the timers that are armed, so its memory is bounded by them.
 *
 * @module
 */

/**
 * A monotonic millisecond clock with one-shot timers.
 *
 * @example Schedule with any clock
 * ```ts
 * import { type Clock, ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * function later(clock: Clock, fired: string[]): () => void {
 *   return clock.setTimer(100, () => fired.push("tick"));
 * }
 * const clock = new ManualClock();
 * const fired: string[] = [];
 * later(clock, fired);
 * clock.advance(100);
 * assert.deepEqual(fired, ["tick"]);
 * ```
 */
export interface Clock {
  /** Monotonic milliseconds (any origin). */
  now(): number;
  /**
   * Call `fn` once after `ms` milliseconds.
   *
   * @returns a function that cancels the timer (idempotent)
   */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * The real clock: `performance.now()` and `setTimeout`. Timers keep the
 * process alive (a shutdown deadline must fire); the engine arms its tick
 * only while streams exist and cancels it on shutdown.
 *
 * @example Read the time
 * ```ts
 * import { systemClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const a = systemClock.now();
 * assert.ok(systemClock.now() >= a);
 * ```
 */
export const systemClock: Clock = {
  now(): number {
    return performance.now();
  },
  setTimer(ms: number, fn: () => void): () => void {
    const id = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(id);
  },
};

interface PendingTimer {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that
 * falls due, in due-time order, with `now()` set to each timer's due time.
 *
 * @example Drive a timeout without sleeping
 * ```ts
 * import { ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock(1_000);
 * const seen: number[] = [];
 * clock.setTimer(50, () => seen.push(clock.now()));
 * const cancel = clock.setTimer(70, () => seen.push(-1));
 * cancel();
 * clock.advance(100);
 * assert.deepEqual(seen, [1_050]);
 * assert.equal(clock.now(), 1_100);
 * assert.equal(clock.pendingTimers, 0);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  #timers = new Set<PendingTimer>();

  /**
   * Create it.
   * @param start the initial value of `now()` (default 0)
   */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The current manual time. */
  now(): number {
    return this.#now;
  }

  /** Arm a one-shot timer; returns its canceller. */
  setTimer(ms: number, fn: () => void): () => void {
    const timer: PendingTimer = {
      at: this.#now + Math.max(0, ms),
      order: this.#order++,
      fn,
    };
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
    };
  }

  /** Number of armed timers (tests assert that nothing leaks). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Move time forward by `ms`, firing due timers (including ones armed by a
   * firing timer, if they fall due within the same advance).
   */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    for (;;) {
      let next: PendingTimer | undefined;
      for (const timer of this.#timers) {
        if (
          timer.at <= target &&
          (next === undefined || timer.at < next.at ||
            (timer.at === next.at && timer.order < next.order))
        ) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
  }
}
