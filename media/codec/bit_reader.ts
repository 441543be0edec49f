/**
 * {@linkcode BitReader}: a bounds-checked, MSB-first bit reader for codec
 * headers (Exp-Golomb `ue(v)`/`se(v)` as in ITU-T H.264 §9.1), and
 * {@linkcode removeEmulationPrevention} (H.264 §7.4.1, H.265 §7.4.2).
 *
 * Data path: the reader keeps a reference to the caller's bytes and two
 * integers (bit position, bit length); reads never allocate. Every read checks
 * the remaining length first and throws {@linkcode BitstreamError} instead of
 * reading past the end, so the work is bounded by the input length.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";

/**
 * Longest Exp-Golomb prefix accepted: 32 leading zeros encode values up to
 * 2^32 - 2, more than any syntax element of H.264/H.265/VVC needs, and the
 * result still fits a double exactly.
 *
 * @example The Exp-Golomb prefix cap
 * ```ts
 * import { MAX_EXP_GOLOMB_LEADING_ZEROS } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_EXP_GOLOMB_LEADING_ZEROS, 32);
 * ```
 */
export const MAX_EXP_GOLOMB_LEADING_ZEROS = 32;

/**
 * Reads bits MSB-first from a byte array, with explicit bounds.
 *
 * @example Read a few fields
 * ```ts
 * import { BitReader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * // 1 | 010 (ue = 1) | 00111 (se: ue = 6 -> -3) | ...
 * const reader = new BitReader(new Uint8Array([0b1010_0011, 0b1000_0000]));
 * assert.equal(reader.readBit(), 1);
 * assert.equal(reader.readUe(), 1);
 * assert.equal(reader.readSe(), -3);
 * assert.equal(reader.bitsLeft, 7);
 * ```
 */
export class BitReader {
  #data: Uint8Array;
  #pos = 0;
  #end: number;

  /**
   * Creates a reader positioned at the first bit of `data`.
   *
   * @param data the bytes to read (kept by reference, never copied)
   */
  constructor(data: Uint8Array) {
    this.#data = data;
    this.#end = data.length * 8;
  }

  /** Bits consumed so far. */
  get bitPosition(): number {
    return this.#pos;
  }

  /** Bits not yet consumed. */
  get bitsLeft(): number {
    return this.#end - this.#pos;
  }

  /** True when the position is on a byte boundary. */
  get byteAligned(): boolean {
    return (this.#pos & 7) === 0;
  }

  /**
   * Throws unless `bits` more bits can be read.
   *
   * @param bits the number of bits the caller is about to read
   * @throws {BitstreamError} when fewer bits remain
   */
  ensure(bits: number): void {
    if (bits > this.#end - this.#pos) {
      throw new BitstreamError(
        `Cannot read ${bits} bits: ${this.#end - this.#pos} bits remain`,
        { byteOffset: this.#pos >>> 3 },
      );
    }
  }

  /**
   * Reads one bit.
   *
   * @returns 0 or 1
   * @throws {BitstreamError} at the end of the input
   */
  readBit(): number {
    if (this.#pos >= this.#end) this.ensure(1);
    const pos = this.#pos++;
    return (this.#data[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
  }

  /**
   * Reads one bit as a boolean flag.
   *
   * @returns true for 1
   * @throws {BitstreamError} at the end of the input
   */
  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /**
   * Reads `n` bits (0 ≤ n ≤ 32) as an unsigned integer.
   *
   * @param n the bit count
   * @returns the value, 0 ≤ value < 2^n
   * @throws {BitstreamError} when fewer than `n` bits remain
   * @throws {RangeError} when `n` is outside 0..32
   */
  readBits(n: number): number {
    if (!(n >= 0 && n <= 32)) {
      throw new RangeError(`Cannot read ${n} bits: the limit is 32`);
    }
    this.ensure(n);
    let value = 0;
    let pos = this.#pos;
    let left = n;
    while (left > 0) {
      const byte = this.#data[pos >>> 3]!;
      const offset = pos & 7;
      const take = Math.min(8 - offset, left);
      const chunk = (byte >>> (8 - offset - take)) & ((1 << take) - 1);
      value = value * (1 << take) + chunk;
      pos += take;
      left -= take;
    }
    this.#pos = pos;
    return value;
  }

  /**
   * Skips `n` bits.
   *
   * @param n the bit count (≥ 0)
   * @throws {BitstreamError} when fewer than `n` bits remain
   */
  skip(n: number): void {
    if (!(n >= 0)) throw new RangeError(`Cannot skip ${n} bits: negative`);
    this.ensure(n);
    this.#pos += n;
  }

  /** Skips to the next byte boundary (no-op when aligned). */
  alignToByte(): void {
    this.#pos = Math.min(this.#end, (this.#pos + 7) & ~7);
  }

  /**
   * Reads an unsigned Exp-Golomb code, `ue(v)` (H.264 §9.1).
   *
   * @returns the decoded value
   * @throws {BitstreamError} on truncation or a prefix longer than {@linkcode MAX_EXP_GOLOMB_LEADING_ZEROS}
   */
  readUe(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      zeros++;
      if (zeros > MAX_EXP_GOLOMB_LEADING_ZEROS) {
        throw new BitstreamError(
          `Cannot read ue(v): more than ${MAX_EXP_GOLOMB_LEADING_ZEROS} leading zero bits`,
          { byteOffset: this.#pos >>> 3 },
        );
      }
    }
    if (zeros === 0) return 0;
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /**
   * Reads a signed Exp-Golomb code, `se(v)` (H.264 §9.1.1).
   *
   * @returns the decoded value
   * @throws {BitstreamError} on truncation or an over-long prefix
   */
  readSe(): number {
    const k = this.readUe();
    return k % 2 === 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }

  /**
   * Reads an unsigned LEB128 value (AV1 §4.10.5), byte-aligned.
   *
   * @returns the decoded value (< 2^53)
   * @throws {BitstreamError} on truncation or more than 8 bytes
   */
  readLeb128(): number {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const byte = this.readBits(8);
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return value;
    }
    throw new BitstreamError("Cannot read leb128: more than 8 bytes", {
      byteOffset: this.#pos >>> 3,
    });
  }
}

/**
 * Removes H.264/H.265/VVC emulation-prevention bytes (the `03` in `00 00 03`)
 * from a NAL unit, producing the RBSP.
 *
 * Returns a view of `data` itself when it holds no emulation-prevention byte in
 * the processed range (no copy); otherwise one new array. `maxBytes` bounds the
 * work: only the first `maxBytes` input bytes are processed, which is enough
 * for a header at the start of a large slice.
 *
 * @param data a NAL unit (with or without its header)
 * @param maxBytes process at most this many input bytes (default: all)
 * @returns the RBSP bytes
 *
 * @example Strip one emulation-prevention byte
 * ```ts
 * import { removeEmulationPrevention } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const rbsp = removeEmulationPrevention(new Uint8Array([0x67, 0, 0, 3, 1, 0xff]));
 * assert.deepEqual([...rbsp], [0x67, 0, 0, 1, 0xff]);
 * ```
 */
export function removeEmulationPrevention(
  data: Uint8Array,
  maxBytes?: number,
): Uint8Array {
  const end = maxBytes === undefined
    ? data.length
    : Math.max(0, Math.min(data.length, maxBytes));
  let count = 0;
  let zeros = 0;
  for (let i = 0; i < end; i++) {
    const byte = data[i]!;
    if (zeros >= 2 && byte === 3) {
      count++;
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (count === 0) return data.subarray(0, end);
  const out = new Uint8Array(end - count);
  let j = 0;
  zeros = 0;
  for (let i = 0; i < end; i++) {
    const byte = data[i]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[j++] = byte;
  }
  return out;
}
