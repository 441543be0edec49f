/**
 * Internal: a big-endian ISOBMFF box writer with two modes.
 *
 * - Measure mode (`new BoxWriter()`): every call only advances `position`, so
 *   the same code that writes a box tree first computes its exact size.
 * - Write mode (`new BoxWriter(bytes)`): writes in place into one buffer that
 *   was allocated once with the measured size; box sizes are back-patched by
 *   {@linkcode BoxWriter.end}.
 *
 * Specification: ISO/IEC 14496-12 §4.2 (Box and FullBox headers).
 *
 * @module
 */

import { StreamError } from "../stream_error.ts";

/** Four-character box type as a big-endian 32-bit number ("moov" → 0x6d6f6f76). */
export function fourcc(type: string): number {
  if (type.length !== 4) {
    throw new StreamError(
      "InvalidInput",
      `Cannot make a box type from "${type}": it is not 4 characters`,
    );
  }
  return ((type.charCodeAt(0) << 24) | (type.charCodeAt(1) << 16) |
    (type.charCodeAt(2) << 8) | type.charCodeAt(3)) >>> 0;
}

/** 2^32, the first value that needs a 64-bit field. */
const TWO_32 = 0x1_0000_0000;

/** Writes (or only measures) ISOBMFF boxes. */
export class BoxWriter {
  readonly #bytes: Uint8Array | null;
  readonly #view: DataView | null;
  #pos: number;

  /** Measure mode without `bytes`; write mode into `bytes` from `offset`. */
  constructor(bytes?: Uint8Array, offset = 0) {
    this.#bytes = bytes ?? null;
    this.#view = bytes === undefined
      ? null
      : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = offset;
  }

  /** Current offset (in measure mode: the bytes written so far). */
  get position(): number {
    return this.#pos;
  }

  /** One byte. */
  u8(value: number): void {
    this.#view?.setUint8(this.#pos, value);
    this.#pos += 1;
  }

  /** Big-endian unsigned 16 bits. */
  u16(value: number): void {
    this.#view?.setUint16(this.#pos, value);
    this.#pos += 2;
  }

  /** Big-endian signed 16 bits. */
  i16(value: number): void {
    this.#view?.setInt16(this.#pos, value);
    this.#pos += 2;
  }

  /** Big-endian unsigned 24 bits. */
  u24(value: number): void {
    if (this.#view !== null) {
      this.#view.setUint8(this.#pos, (value >>> 16) & 0xff);
      this.#view.setUint16(this.#pos + 1, value & 0xffff);
    }
    this.#pos += 3;
  }

  /** Big-endian unsigned 32 bits. */
  u32(value: number): void {
    this.#view?.setUint32(this.#pos, value >>> 0);
    this.#pos += 4;
  }

  /** Big-endian signed 32 bits. */
  i32(value: number): void {
    this.#view?.setInt32(this.#pos, value);
    this.#pos += 4;
  }

  /** Big-endian unsigned 64 bits from a safe non-negative integer. */
  u64(value: number): void {
    if (this.#view !== null) {
      this.#view.setUint32(this.#pos, Math.floor(value / TWO_32));
      this.#view.setUint32(this.#pos + 4, value % TWO_32);
    }
    this.#pos += 8;
  }

  /** Copy bytes. */
  raw(bytes: Uint8Array): void {
    this.#bytes?.set(bytes, this.#pos);
    this.#pos += bytes.byteLength;
  }

  /** `count` zero bytes (written: the buffer may be a reused caller buffer). */
  zeros(count: number): void {
    if (this.#bytes !== null) this.#bytes.fill(0, this.#pos, this.#pos + count);
    this.#pos += count;
  }

  /** Start a box: a size placeholder and the type; returns its start for {@linkcode end}. */
  box(type: number): number {
    const start = this.#pos;
    this.u32(0);
    this.u32(type);
    return start;
  }

  /** Start a FullBox (box + version + 24-bit flags); returns its start. */
  fullBox(type: number, version: number, flags: number): number {
    const start = this.box(type);
    this.u8(version);
    this.u24(flags);
    return start;
  }

  /** Close the box opened at `start` by back-patching its 32-bit size. */
  end(start: number): void {
    const size = this.#pos - start;
    if (size >= TWO_32) {
      throw new StreamError(
        "LimitExceeded",
        `Cannot write a box of ${size} bytes: 32-bit box sizes only`,
      );
    }
    this.#view?.setUint32(start, size);
  }
}
