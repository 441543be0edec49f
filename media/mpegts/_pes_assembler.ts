/**
 * PES reassembly for one elementary PID and the PES header parse.
 *
 * Specification: ISO/IEC 13818-1 §2.4.3.6–§2.4.3.7 (PES_packet: stream_id,
 * PES_packet_length, PTS_DTS_flags, PES_header_data_length, 33-bit PTS/DTS
 * with marker bits).
 *
 * Data path: payload bytes are copied from the caller's chunk into one
 * growable buffer per PID (the caller may reuse its chunk), doubling up to
 * `maxBytes`; a PES that would grow past it is dropped. The completed PES is
 * a view of that buffer, valid until the next `push`, so the ES parsers copy
 * what they keep (each output frame is one fresh allocation).
 *
 * @module
 */

/** A completed PES: header fields and a view of its ES bytes. */
export interface Pes {
  /** stream_id. */
  readonly streamId: number;
  /** 33-bit PTS (90 kHz), or -1 when absent. */
  readonly pts: number;
  /** 33-bit DTS, or the PTS when only a PTS is present, or -1. */
  readonly dts: number;
  /** random_access_indicator of the first packet. */
  readonly randomAccess: boolean;
  /** data_alignment_indicator. */
  readonly aligned: boolean;
  /** The ES bytes (a view, valid until the assembler's next push). */
  readonly payload: Uint8Array;
}

/** Why a PES could not be completed. */
export type PesFailure = "tooLarge" | "malformed" | "truncated";

/** stream_ids without the optional PES header (§2.4.3.7, Table 2-22). */
function hasOptionalHeader(streamId: number): boolean {
  return streamId !== 0xbc && streamId !== 0xbe && streamId !== 0xbf &&
    streamId !== 0xf0 && streamId !== 0xf1 && streamId !== 0xff &&
    streamId !== 0xf2 && streamId !== 0xf8;
}

/** Read a 33-bit timestamp with its marker bits; -1 when the markers are wrong. */
function readTimestamp(b: Uint8Array, p: number): number {
  if ((b[p]! & 1) !== 1 || (b[p + 2]! & 1) !== 1 || (b[p + 4]! & 1) !== 1) {
    return -1;
  }
  return ((b[p]! >> 1) & 7) * 0x40000000 +
    ((b[p + 1]! << 7) | (b[p + 2]! >> 1)) * 0x8000 +
    ((b[p + 3]! << 7) | (b[p + 4]! >> 1));
}

/**
 * Parse a whole PES packet.
 *
 * @param bytes the PES from its start code
 * @param randomAccess the first packet's random_access_indicator
 * @returns the PES, or a failure reason
 */
export function parsePes(
  bytes: Uint8Array,
  randomAccess: boolean,
): Pes | PesFailure {
  if (
    bytes.length < 6 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1
  ) return "malformed";
  const streamId = bytes[3]!;
  const declared = (bytes[4]! << 8) | bytes[5]!;
  let end = bytes.length;
  if (declared !== 0) {
    if (6 + declared > bytes.length) return "truncated";
    end = 6 + declared;
  }
  if (!hasOptionalHeader(streamId)) {
    return {
      streamId,
      pts: -1,
      dts: -1,
      randomAccess,
      aligned: false,
      payload: bytes.subarray(6, end),
    };
  }
  if (end < 9 || (bytes[6]! & 0xc0) !== 0x80) return "malformed";
  const flags = bytes[7]! >> 6;
  const headerEnd = 9 + bytes[8]!;
  if (headerEnd > end || flags === 1) return "malformed";
  let pts = -1;
  let dts = -1;
  if (flags >= 2) {
    if (headerEnd < 14) return "malformed";
    pts = readTimestamp(bytes, 9);
    dts = pts;
    if (flags === 3) {
      if (headerEnd < 19) return "malformed";
      dts = readTimestamp(bytes, 14);
    }
    if (pts < 0 || dts < 0) return "malformed";
  }
  return {
    streamId,
    pts,
    dts,
    randomAccess,
    aligned: (bytes[6]! & 0x04) !== 0,
    payload: bytes.subarray(headerEnd, end),
  };
}

/**
 * Collects the packets of one PID into PES packets: a PES completes at the
 * next payload_unit_start (`finish()`), or — when `completeByLength` — as
 * soon as its declared PES_packet_length is reached.
 */
export class PesAssembler {
  #buf: Uint8Array;
  #len = 0;
  #active = false;
  #damaged = false;
  #randomAccess = false;
  readonly #maxBytes: number;
  readonly #completeByLength: boolean;

  /**
   * @param initialBytes starting buffer size
   * @param maxBytes largest PES accepted
   * @param completeByLength complete a PES as soon as its declared length is in
   */
  constructor(
    initialBytes: number,
    maxBytes: number,
    completeByLength: boolean,
  ) {
    this.#maxBytes = maxBytes;
    this.#completeByLength = completeByLength;
    this.#buf = new Uint8Array(Math.min(initialBytes, maxBytes));
  }

  /** True while a PES is being collected (intact or not). */
  get active(): boolean {
    return this.#active;
  }

  /** Mark the PES in progress as damaged (continuity error); returns whether one was. */
  damage(): boolean {
    const had = this.#active && !this.#damaged;
    if (this.#active) this.#damaged = true;
    return had;
  }

  /** Drop everything (program change). */
  reset(): void {
    this.#active = false;
    this.#damaged = false;
    this.#len = 0;
  }

  /**
   * Start a new PES with this packet's payload. Call `finish()` first and
   * consume its result: the buffer is reused.
   *
   * @param payload the payload of a packet with payload_unit_start_indicator
   * @param randomAccess its random_access_indicator
   * @returns the PES when this one packet completes it, else undefined
   */
  begin(
    payload: Uint8Array,
    randomAccess: boolean,
  ): Pes | PesFailure | undefined {
    this.#active = true;
    this.#damaged = false;
    this.#randomAccess = randomAccess;
    this.#len = 0;
    return this.#append(payload);
  }

  /**
   * Add a continuation payload.
   *
   * @param payload the packet payload
   * @returns a PES when this completed its declared length, else undefined
   */
  continue(payload: Uint8Array): Pes | PesFailure | undefined {
    if (!this.#active || this.#damaged) return undefined;
    return this.#append(payload);
  }

  /**
   * Append the ES bytes of a PES that continues the access unit in progress
   * (a video PES without PTS, split by the muxer); the merged PES is then
   * read up to its end, not up to the first PES's declared length.
   *
   * @param es the continuation's bytes after its PES header
   * @returns a failure when the merged PES is too large, else undefined
   */
  merge(es: Uint8Array): PesFailure | undefined {
    if (!this.#active || this.#damaged || this.#len < 6) return undefined;
    this.#buf[4] = 0;
    this.#buf[5] = 0;
    return this.#append(es) as PesFailure | undefined;
  }

  /**
   * Complete the PES in progress (next PUSI or end of input).
   *
   * @returns the PES, a failure, "damaged", or undefined when none
   */
  finish(): Pes | PesFailure | "damaged" | undefined {
    if (!this.#active) return undefined;
    this.#active = false;
    if (this.#damaged) return "damaged";
    if (this.#len === 0) return undefined;
    return parsePes(this.#buf.subarray(0, this.#len), this.#randomAccess);
  }

  #append(payload: Uint8Array): Pes | PesFailure | undefined {
    const need = this.#len + payload.length;
    if (need > this.#maxBytes) {
      this.#active = false;
      return "tooLarge";
    }
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.#maxBytes));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(payload, this.#len);
    this.#len = need;
    if (this.#completeByLength && this.#len >= 6) {
      const declared = (this.#buf[4]! << 8) | this.#buf[5]!;
      if (declared !== 0 && this.#len >= 6 + declared) {
        this.#active = false;
        return parsePes(this.#buf.subarray(0, this.#len), this.#randomAccess);
      }
    }
    return undefined;
  }
}
