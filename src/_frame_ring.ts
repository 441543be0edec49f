// FrameRing: the broadcaster's storage. A preallocated power-of-two array of
// frame references addressed by a float64 sequence number (slot = seq %
// capacity; never `seq & mask`, which breaks past 2^31). Publishing stores one
// reference, bumps `head` and resolves at most one shared "tick" promise that
// every waiting subscriber awaits: O(1) whatever the number of subscribers,
// no per-subscriber queue, no payload copy. The next tick promise is created
// lazily, only when a subscriber actually has to wait. The viewers at the
// live edge of one egress tick take one range: `sliceShared` hands them the
// same array (the last range's, kept until another is asked for).
import type { MediaFrame } from "../media/frame.ts";

/** A resolved promise reused by `ready()` when frames are already available. */
export const RESOLVED: Promise<void> = Promise.resolve();

export class FrameRing {
  readonly capacity: number;
  readonly #slots: (MediaFrame | undefined)[];
  /** Sequence number the next published frame gets (= frames published so far). */
  head = 0;
  closed = false;
  #tick: PromiseWithResolvers<void> | null = null;
  #shared: readonly MediaFrame[] = [];
  #sharedSeq = -1;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#slots = new Array<MediaFrame | undefined>(capacity).fill(undefined);
  }

  push(frame: MediaFrame): void {
    this.#slots[this.head % this.capacity] = frame;
    this.head++;
    this.wake();
  }

  /** The frame at `seq`; the caller guarantees `head - capacity <= seq < head`. */
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

  /**
   * `slice(seq, count)`, but the same array as the last call with the same
   * range (the viewers at the live edge of one tick take one range): a
   * range's frames never change while it is in the ring. Read-only.
   */
  sliceShared(seq: number, count: number): readonly MediaFrame[] {
    if (seq !== this.#sharedSeq || count !== this.#shared.length) {
      this.#shared = this.slice(seq, count);
      this.#sharedSeq = seq;
    }
    return this.#shared;
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
