/**
 * Internal MSB-first bit writer into a pre-sized buffer (records are sized
 * first, then written in place).
 *
 * @module
 */

/** Writes bits MSB-first into a caller-provided, zero-filled buffer. */
export class BitWriter {
  #out: Uint8Array;
  #pos = 0;

  constructor(out: Uint8Array) {
    this.#out = out;
  }

  /** Writes the low `n` bits of `value` (n ≤ 32). */
  write(n: number, value: number): void {
    for (let i = n - 1; i >= 0; i--) {
      const bit = Math.floor(value / 2 ** i) & 1;
      const pos = this.#pos++;
      if (bit) this.#out[pos >>> 3]! |= 0x80 >>> (pos & 7);
    }
  }

  /** Bits written so far. */
  get bitPosition(): number {
    return this.#pos;
  }
}
