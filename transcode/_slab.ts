// A bump allocator over large ArrayBuffers for the bytes that cross ffmpeg's
// pipes: FLV tags written to stdin and the chunks read from stdout. Each
// frame used to cost one ArrayBuffer of its own (an allocation, a backing
// store for V8 to track and sweep); here `take(n)` returns a view of the
// current slab and moves on. Memory is never reused: a full slab is left to
// the views into it (a pending pipe write, a frame in a GOP cache) and
// freed by the GC once the last of them is gone, so no write can see its
// bytes overwritten. What a slab adds to the bytes in use is at most one
// slab per allocator (the part not handed out yet); a request larger than a
// quarter of a slab (a big keyframe) gets its own buffer.

/** Bump allocator of views into large shared buffers. */
export class Slab {
  #size: number;
  #buffer: Uint8Array<ArrayBuffer>;
  #pos = 0;

  /** @param size bytes per slab */
  constructor(size: number) {
    this.#size = size;
    this.#buffer = new Uint8Array(size);
  }

  /** A fresh view of `n` bytes (zeroed, never handed out before). */
  take(n: number): Uint8Array<ArrayBuffer> {
    if (n > this.#size >> 2) return new Uint8Array(n);
    if (this.#pos + n > this.#size) {
      this.#buffer = new Uint8Array(this.#size);
      this.#pos = 0;
    }
    const view = this.#buffer.subarray(this.#pos, this.#pos + n);
    // 8-byte alignment keeps the next view's offset friendly to copies.
    this.#pos += (n + 7) & ~7;
    return view;
  }

  /** A copy of `bytes` in the slab. */
  copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    const view = this.take(bytes.length);
    view.set(bytes);
    return view;
  }
}
