/**
 * A bump allocator of byte views in large shared buffers, for bytes that are
 * written once and then only read: a byte cache's serialized units (kept
 * back to back so a run of them is one view), FLV tags crossing ffmpeg's
 * pipes, SRT datagrams kept for retransmission. One allocation per slab
 * instead of one `ArrayBuffer` (and backing store for V8 to track) per item.
 *
 * Memory is never reused: a slab that is full is left to the views into it
 * and freed by the GC once the last of them is gone, so no reader ever sees
 * its bytes overwritten. What a slab adds to the bytes in use is at most one
 * slab (the part not handed out yet) plus the unused tails of older slabs.
 *
 * @module
 */

/**
 * Options of {@linkcode ByteSlab}.
 *
 * @example 8-byte aligned views; a request over 256 bytes gets its own buffer
 * ```ts
 * import { ByteSlab, type ByteSlabOptions } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const options: ByteSlabOptions = { align: 8, ownAbove: 256 };
 * const slab = new ByteSlab(1024, options);
 * slab.take(3);
 * assert.equal(slab.take(4).byteOffset, 8);
 * assert.equal(slab.take(300).buffer.byteLength, 300);
 * ```
 */
export interface ByteSlabOptions {
  /** Views start at multiples of this many bytes (default 1: back to back). */
  align?: number;
  /** A request larger than this gets a buffer of its own (default: never). */
  ownAbove?: number;
}

/**
 * Hands out fresh views of `slabBytes`-sized buffers, one after another; a
 * request that does not fit in the rest of the current slab starts a new
 * one (as large as the request when that is larger).
 *
 * @example Two copies share one buffer, back to back
 * ```ts
 * import { ByteSlab } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const slab = new ByteSlab(1024);
 * const a = slab.place(new Uint8Array([1, 2, 3]));
 * const b = slab.place(new Uint8Array([4]));
 * assert.equal(a.buffer, b.buffer);
 * assert.equal(b.byteOffset, a.byteOffset + 3);
 * ```
 */
export class ByteSlab {
  #size: number;
  #align: number;
  #ownAbove: number;
  #buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #pos = 0;

  /**
   * An allocator whose slabs are `slabBytes` long.
   *
   * @param slabBytes bytes per slab
   * @param options alignment and the size above which a request gets its own buffer
   */
  constructor(slabBytes: number, options: ByteSlabOptions = {}) {
    this.#size = slabBytes;
    this.#align = Math.max(1, options.align ?? 1);
    this.#ownAbove = options.ownAbove ?? Infinity;
  }

  /**
   * A fresh view of `n` bytes, zeroed and never handed out before.
   *
   * @param n bytes
   * @returns the view
   */
  take(n: number): Uint8Array<ArrayBuffer> {
    if (n > this.#ownAbove) return new Uint8Array(n);
    if (this.#pos + n > this.#buffer.length) {
      this.#buffer = new Uint8Array(Math.max(this.#size, n));
      this.#pos = 0;
    }
    const at = this.#pos;
    const end = at + n;
    const a = this.#align;
    this.#pos = a === 1 ? end : Math.ceil(end / a) * a;
    return this.#buffer.subarray(at, end);
  }

  /**
   * A copy of `bytes` in the slab (an empty input is returned as it is).
   *
   * @param bytes the bytes to copy
   * @returns the view holding the copy
   */
  place(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return bytes;
    const view = this.take(bytes.length);
    view.set(bytes);
    return view;
  }
}
