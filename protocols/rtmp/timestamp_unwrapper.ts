/**
 * {@linkcode TimestampUnwrapper}: RTMP's 32-bit millisecond timestamps
 * (RTMP §5.3.1.2.1, which wrap after ~49.7 days) made into a monotonic,
 * unbounded timeline for one track.
 *
 * A step forward or backward of less than 2^31 is taken as is (backward steps
 * are clamped to keep the track monotonic); a bigger jump is read as a wrap.
 * State is two numbers.
 *
 * @module
 */

const WRAP = 0x100000000;
const HALF = 0x80000000;

/**
 * Unwraps one track's 32-bit timestamps.
 *
 * @example Across the 32-bit wrap
 * ```ts
 * import { TimestampUnwrapper } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const unwrap = new TimestampUnwrapper();
 * assert.equal(unwrap.unwrap(0xffffff00), 0xffffff00);
 * assert.equal(unwrap.unwrap(0x10), 0x100000010);
 * assert.equal(unwrap.unwrap(0x05), 0x100000010); // never goes back
 * ```
 */
export class TimestampUnwrapper {
  #lastRaw = -1;
  #epoch = 0;
  #last = 0;

  /**
   * Map the next 32-bit timestamp of the track onto the unwrapped timeline.
   *
   * @param raw a 32-bit timestamp
   * @returns the unwrapped, monotonic timestamp
   */
  unwrap(raw: number): number {
    raw = raw >>> 0;
    if (this.#lastRaw >= 0) {
      const step = raw - this.#lastRaw;
      if (step < -HALF) this.#epoch += WRAP;
      else if (step > HALF && this.#epoch > 0) this.#epoch -= WRAP;
    }
    this.#lastRaw = raw;
    const value = Math.max(this.#epoch + raw, this.#last);
    this.#last = value;
    return value;
  }
}
