// FrameRing: the broadcaster's storage. A preallocated power-of-two array of
// frame references addressed by a float64 sequence number (slot = seq %
// capacity; never `seq & mask`, which breaks past 2^31). Publishing stores one
// reference, bumps `head` and resolves at most one shared "tick" promise that
// every waiting subscriber awaits: O(1) whatever the number of subscribers,
// no per-subscriber queue, no payload copy. The next tick promise is created
// lazily, only when a subscriber actually has to wait.
//
// Retention: a subscriber more than `retain` frames behind the head is
// resynchronised or evicted before it reads (its lag threshold is
// min(capacity, maxLagFrames)), so a frame older than that is never read
// from the ring again: `push` drops the reference `retain` frames back.
// Otherwise a 1,024-slot ring kept twice the 512-frame lag allowance alive
// (13 s of media at 77 frames/s, with the slabs its payload views pin).
import type { MediaFrame } from "../media/frame.ts";

/** A resolved promise reused by `ready()` when frames are already available. */
export const RESOLVED: Promise<void> = Promise.resolve();

export class FrameRing {
  readonly capacity: number;
  /** Frames kept readable behind the head (at most `capacity`). */
  readonly retain: number;
  readonly #slots: (MediaFrame | undefined)[];
  /** Sequence number the next published frame gets (= frames published so far). */
  head = 0;
  closed = false;
  #tick: PromiseWithResolvers<void> | null = null;

  constructor(capacity: number, retain: number = capacity) {
    this.capacity = capacity;
    this.retain = Math.max(1, Math.min(capacity, retain));
    this.#slots = new Array<MediaFrame | undefined>(capacity).fill(undefined);
  }

  push(frame: MediaFrame): void {
    const head = this.head;
    this.#slots[head % this.capacity] = frame;
    // The frame `retain` back leaves the readable window with this push.
    if (this.retain < this.capacity && head >= this.retain) {
      this.#slots[(head - this.retain) % this.capacity] = undefined;
    }
    this.head = head + 1;
    this.wake();
  }

  /** The frame at `seq`; the caller guarantees `head - retain <= seq < head`. */
  at(seq: number): MediaFrame {
    return this.#slots[seq % this.capacity]!;
  }

  /**
   * The `count` frames from `seq` as a new array (one native slice, two when
   * the range wraps); the caller guarantees the range is in the ring.
   */
  slice(seq: number, count: number): MediaFrame[] {
    const start = seq % this.capacity;
    const end = start + count;
    const slots = this.#slots as MediaFrame[];
    if (end <= this.capacity) return slots.slice(start, end);
    const out = slots.slice(start);
    for (let i = 0; i < end - this.capacity; i++) out.push(slots[i]!);
    return out;
  }

  /** The shared promise resolved by the next publish, close or wake. */
  wait(): Promise<void> {
    if (this.closed) return RESOLVED;
    this.#tick ??= Promise.withResolvers<void>();
    return this.#tick.promise;
  }

  /** Resolve the current tick (if anyone waits). */
  wake(): void {
    const tick = this.#tick;
    if (tick !== null) {
      this.#tick = null;
      tick.resolve();
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Drop every reference (after the last subscriber left an ended stream). */
  clear(): void {
    this.#slots.fill(undefined);
  }
}
