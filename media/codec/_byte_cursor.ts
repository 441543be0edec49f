/**
 * Internal byte cursor for fixed-layout records (avcC, hvcC, av1C, OpusHead):
 * bounds-checked big-endian reads that throw {@linkcode BitstreamError}, and
 * `{u16 length, bytes}` views that never copy.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";

/** Reads a byte array front to back with bounds checks. */
export class ByteCursor {
  #data: Uint8Array;
  #what: string;
  /** Current byte offset. */
  pos = 0;

  constructor(data: Uint8Array, what: string) {
    this.#data = data;
    this.#what = what;
  }

  /** Bytes not yet read. */
  get left(): number {
    return this.#data.length - this.pos;
  }

  /** Reads one byte. */
  u8(): number {
    if (this.pos >= this.#data.length) this.fail("1 byte");
    return this.#data[this.pos++]!;
  }

  /** Reads a big-endian u16. */
  u16(): number {
    this.need(2);
    const v = (this.#data[this.pos]! << 8) | this.#data[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  /** Returns a view of the next `n` bytes. */
  view(n: number): Uint8Array {
    this.need(n);
    const v = this.#data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads `{u16 length, bytes}` as a view. */
  sized(): Uint8Array {
    return this.view(this.u16());
  }

  /** Throws unless `n` bytes remain. */
  need(n: number): void {
    if (n > this.#data.length - this.pos) this.fail(`${n} bytes`);
  }

  /** Throws a BitstreamError naming what was needed. */
  fail(need: string): never {
    throw new BitstreamError(
      `Cannot parse ${this.#what}: need ${need} at offset ${this.pos}, have ${
        this.#data.length - this.pos
      }`,
      { byteOffset: this.pos },
    );
  }
}
