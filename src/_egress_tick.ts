/**
 * {@linkcode StreamEgressTick}: the egress tick, one shared timer per stream and period, so
 * every viewer of the stream wakes at the same moment, takes the same run of
 * frames and writes the same shared bytes (one write per viewer per tick
 * instead of one per published frame).
 *
 * Data path: the stream (`LiveStream`, the kernel side of `StreamHandle`)
 * owns its ticks (`handle.egressTick(periodMs)`, one per distinct period,
 * created on first use on the engine's clock) and calls
 * {@linkcode StreamEgressTick.published} once per published frame. A viewer's
 * egress loop does `await sub.ready()`, then `await tick.next()`, then
 * `sub.takeAll()`. The first viewer to ask arms one timer of `periodMs`;
 * every viewer that asks before it fires gets the very same promise, so the
 * wake-ups and the `takeAll()` calls happen in one run of microtasks, where
 * no new frame can arrive: all viewers at the live edge take the same range.
 * The added latency is at most `periodMs`. With `periodMs` 0 `next()` is an
 * already-resolved promise (no timer).
 *
 * Backlog trigger: a tick also fires early, from inside `published()`, once
 * `backlogFrames` frames were published since the last flush (the stream
 * uses half its lag limit, `min(ringCapacity, maxLagFrames) / 2`). A viewer
 * at the live edge therefore never waits while a burst (an unpaced file
 * push) piles up past the lag limit and resyncs it; half, not all, because a
 * viewer whose previous write was still in flight misses one flush and
 * takes two flushes' worth, which is then still within the limit. A `next()`
 * after such a backlog built up with no tick armed resolves at once. Frames
 * count, not bytes: lag is measured in frames. Cost per publish: one
 * increment and one comparison per tick of the stream (one or two: the
 * distinct periods of the handlers), never per viewer.
 *
 * Push waiters: a viewer that pumps (`EgressSession.pump`) registers a
 * callback with {@linkcode StreamEgressTick.onNext} instead of awaiting
 * `next()`; the flush calls the waiters in order, synchronously, before the
 * promise's reactions run, from arrays that keep their slots (two swap at
 * each flush), so waiting for a tick allocates nothing per viewer.
 *
 * Viewers `join()` when they start and call the returned `leave` when they
 * end; when the last member leaves, a pending tick fires at once, so no timer
 * outlives the viewers that armed it (clean shutdown, leak-free tests).
 *
 * Memory: one promise and one timer per tick at most, never one per viewer;
 * one array slot per waiting pump.
 * Time comes from an injected {@linkcode Clock} (the kernel never calls
 * `setTimeout` itself).
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";
import type { Clock } from "./clock.ts";
import type { EgressTick } from "./stream_handle.ts";

/**
 * Longest egress tick accepted, ms: a tick longer than a few frames would
 * add visible latency and let a batch grow past what players buffer smoothly.
 *
 * @example
 * ```ts
 * import { MAX_EGRESS_TICK_MS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_EGRESS_TICK_MS, 1_000);
 * ```
 */
export const MAX_EGRESS_TICK_MS = 1_000;

const RESOLVED: Promise<void> = Promise.resolve();

function noop(): void {}

/**
 * Validate an egress tick period (handlers call it on their options, so a bad
 * value fails at construction, not at the first viewer).
 *
 * @param periodMs the period in ms
 * @throws {StreamError} `InvalidInput` unless 0 ≤ periodMs ≤ {@linkcode MAX_EGRESS_TICK_MS}
 *
 * @example
 * ```ts
 * import { checkEgressTickMs } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * checkEgressTickMs(100);
 * assert.throws(() => checkEgressTickMs(5_000));
 * ```
 */
export function checkEgressTickMs(periodMs: number): void {
  if (
    !Number.isFinite(periodMs) || periodMs < 0 ||
    periodMs > MAX_EGRESS_TICK_MS
  ) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create an egress tick of ${periodMs} ms: must be 0 to ${MAX_EGRESS_TICK_MS}`,
    );
  }
}

/**
 * A per-stream shared flush tick (see the module doc).
 *
 * @example Two viewers wake on the same tick; a backlog fires it early
 * ```ts
 * import { StreamEgressTick } from "./_egress_tick.ts";
 * import { ManualClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const tick = new StreamEgressTick(40, clock, 2);
 * const wait = tick.next();
 * assert.equal(tick.next(), wait);
 * tick.published();
 * tick.published(); // 2 frames since the last flush: fires now
 * assert.equal(tick.armed, false);
 * await wait;
 * ```
 */
export class StreamEgressTick implements EgressTick {
  /** The period, ms; 0 means "no coalescing". */
  readonly periodMs: number;
  /** Frames published since the last flush that fire it early. */
  readonly backlogFrames: number;
  #clock: Clock;
  #members = 0;
  #backlog = 0;
  #early = 0;
  #cancel: (() => void) | undefined;
  #pending: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  /** Push waiters of the next flush: the first `#count` slots. */
  #waiters: (() => void)[] = [];
  #count = 0;
  /** Waiters with no frames yet: the next published frame arms the timer. */
  #armOnPublish = false;
  #spare: (() => void)[] = [];

  /**
   * @param periodMs the flush period in ms, 0 to disable (0 … {@linkcode MAX_EGRESS_TICK_MS})
   * @param clock where timers come from
   * @param backlogFrames fire early once this many frames were published
   *   since the last flush (≥ 1; default: never, for a tick nobody feeds)
   * @throws {StreamError} `InvalidInput` for a period out of range or a backlog below 1
   */
  constructor(
    periodMs: number,
    clock: Clock,
    backlogFrames: number = Number.POSITIVE_INFINITY,
  ) {
    checkEgressTickMs(periodMs);
    if (!(backlogFrames >= 1)) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create an egress tick with a backlog trigger of ${backlogFrames} frames: must be at least 1`,
      );
    }
    this.periodMs = periodMs;
    this.backlogFrames = backlogFrames;
    this.#clock = clock;
  }

  /** Viewers currently joined. */
  get members(): number {
    return this.#members;
  }

  /** True while a tick is armed. */
  get armed(): boolean {
    return this.#cancel !== undefined;
  }

  /** Flushes fired by the backlog trigger rather than the timer (for tests and stats). */
  get earlyFlushes(): number {
    return this.#early;
  }

  /**
   * Register a viewer.
   *
   * @returns `leave` (idempotent); the last one to leave fires a pending tick at once
   */
  join(): () => void {
    this.#members++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#members--;
      if (this.#members === 0) this.#fire();
    };
  }

  /**
   * The next flush: the same promise for every caller until it fires.
   *
   * @returns resolves within `periodMs` (at once when the period is 0 or a
   *   backlog of `backlogFrames` built up since the last flush)
   */
  next(): Promise<void> {
    if (this.periodMs === 0) return RESOLVED;
    if (this.#pending === undefined) {
      if (this.#cancel === undefined && this.#due()) return RESOLVED;
      this.#arm();
      this.#pending = new Promise<void>((resolve) => {
        this.#resolve = resolve;
      });
    }
    return this.#pending;
  }

  /**
   * Call `wake` at the next flush (synchronously, from the flush), or say
   * that the flush is due now, as `next()` would resolve at once. A waiter
   * with no frames to take yet arms no timer: the next published frame
   * does, as for a viewer that awaits `ready()` before `next()`, so a
   * flush always has frames and the period runs from the first frame after
   * the last flush.
   *
   * @param wake called once at the flush; must not throw
   * @param ready the waiter has frames to take now (arm the timer now)
   * @returns true when the flush is due now (`wake` is not registered), false
   *   when `wake` will be called
   */
  onNext(wake: () => void, ready = true): boolean {
    if (this.periodMs === 0) return true;
    if (this.#cancel === undefined && this.#due()) return true;
    if (ready) this.#arm();
    else this.#armOnPublish = true;
    this.#waiters[this.#count++] = wake;
    return false;
  }

  /**
   * One frame was published to the stream (the stream calls it; O(1)):
   * arms the timer for waiters that had no frames, fires a pending tick
   * once the backlog reaches `backlogFrames`.
   */
  published(): void {
    if (this.#armOnPublish) {
      this.#armOnPublish = false;
      this.#arm();
    }
    if (++this.#backlog >= this.backlogFrames && this.#cancel !== undefined) {
      this.#early++;
      this.#fire();
    }
  }

  /** An early flush is due (a backlog built up while no tick was armed): consumes it. */
  #due(): boolean {
    if (this.#backlog < this.backlogFrames) return false;
    this.#backlog = 0;
    this.#early++;
    return true;
  }

  #arm(): void {
    this.#cancel ??= this.#clock.setTimer(this.periodMs, this.#fire);
  }

  #fire = (): void => {
    const resolve = this.#resolve;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#pending = undefined;
    this.#resolve = undefined;
    this.#backlog = 0;
    this.#armOnPublish = false;
    const count = this.#count;
    if (count > 0) {
      // a waiter that registers again goes into the other array: next flush
      const waiters = this.#waiters;
      this.#waiters = this.#spare;
      this.#spare = waiters;
      this.#count = 0;
      for (let i = 0; i < count; i++) {
        const wake = waiters[i]!;
        waiters[i] = noop; // keep the slots (no regrowth), not the waiters
        try {
          wake();
        } catch (error) {
          reportError(error); // a waiter's bug must not starve the others
        }
      }
    }
    resolve?.();
  };
}
