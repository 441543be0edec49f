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
 * The engine wraps whatever clock it is given in a {@linkcode MonotonicClock}
 * (one place: the `Engine` constructor), so an injected wall clock that NTP
 * steps back cannot make idle times negative (silent streams would outlive
 * their timeout by the size of the step) or shrink a QoS window to nothing
 * (absurd bit rates): a backward step becomes a pause of zero length and
 * time goes on from there.
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

/**
 * A {@linkcode Clock} whose `now()` never goes back, whatever the clock it
 * wraps does: a backward step of the inner clock is absorbed into an offset,
 * so time pauses at the highest value seen and then advances with the inner
 * clock again (forward steps pass through: they cannot be told from a
 * frozen process). Timers are the inner clock's. Memory: two numbers.
 *
 * @example A clock stepped back by an hour keeps counting forward
 * ```ts
 * import { type Clock, MonotonicClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * let wall = 10_000;
 * const stepped: Clock = { now: () => wall, setTimer: () => () => {} };
 * const clock = new MonotonicClock(stepped);
 * assert.equal(clock.now(), 10_000);
 * wall -= 3_600_000; // NTP steps the wall clock back
 * assert.equal(clock.now(), 10_000);
 * wall += 500;
 * assert.equal(clock.now(), 10_500);
 * ```
 */
export class MonotonicClock implements Clock {
  readonly #inner: Clock;
  #offset = 0;
  #last = Number.NEGATIVE_INFINITY;

  /**
   * Wrap a clock.
   * @param inner the clock to read; its timers are used as they are
   */
  constructor(inner: Clock) {
    this.#inner = inner;
  }

  /**
   * Wrap `clock` unless it is monotonic already (`systemClock`, a
   * `ManualClock` or a `MonotonicClock`).
   *
   * @param clock any clock
   * @returns a clock whose `now()` never decreases
   * @example Only foreign clocks are wrapped
   * ```ts
   * import { ManualClock, MonotonicClock, systemClock } from "@arcly/stream";
   * import assert from "node:assert/strict";
   *
   * assert.equal(MonotonicClock.of(systemClock), systemClock);
   * const manual = new ManualClock();
   * assert.equal(MonotonicClock.of(manual), manual);
   * assert.ok(MonotonicClock.of({ now: Date.now, setTimer: () => () => {} }) instanceof MonotonicClock);
   * ```
   */
  static of(clock: Clock): Clock {
    return clock === systemClock || clock instanceof ManualClock ||
        clock instanceof MonotonicClock
      ? clock
      : new MonotonicClock(clock);
  }

  /** The inner clock's time plus the backward steps absorbed so far; never decreases. */
  now(): number {
    const raw = this.#inner.now();
    if (raw + this.#offset < this.#last) this.#offset = this.#last - raw;
    this.#last = raw + this.#offset;
    return this.#last;
  }

  /** Arm a one-shot timer on the inner clock; returns its canceller. */
  setTimer(ms: number, fn: () => void): () => void {
    return this.#inner.setTimer(ms, fn);
  }
}

/**
 * A housekeeping timer armed only while needed: a one-shot clock timer that
 * `run()` re-arms after each run while it returns true. The engine's reaper
 * and the protocol handlers' sweeps (RTMP idle, SRT ACK/NAK) use it, so an
 * idle server arms no timer.
 *
 * @example Runs while there is work, then stops until armed again
 * ```ts
 * import { HousekeepingTimer, ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * let work = 2;
 * const timer = new HousekeepingTimer(clock, 10, () => --work > 0);
 * timer.arm();
 * timer.arm(); // already armed: one timer
 * clock.advance(100);
 * assert.equal(work, 0);
 * assert.equal(clock.pendingTimers, 0);
 * ```
 */
export class HousekeepingTimer {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #run: () => boolean;
  #cancel: (() => void) | undefined;

  /**
   * Create it, not armed.
   *
   * @param clock where the timer comes from
   * @param intervalMs time from one run to the next, ms
   * @param run the work; returns true to be run again after `intervalMs`
   */
  constructor(clock: Clock, intervalMs: number, run: () => boolean) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#run = run;
  }

  /** Run after `intervalMs` unless already armed. */
  arm(): void {
    if (this.#cancel !== undefined) return;
    this.#cancel = this.#clock.setTimer(this.#intervalMs, () => {
      this.#cancel = undefined;
      if (this.#run()) this.arm();
    });
  }

  /** Cancel a pending run (idempotent); `arm()` starts it again. */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
