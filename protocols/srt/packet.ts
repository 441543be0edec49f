/**
 * SRT packets (draft-sharabayko-srt §3): the 16-byte header shared by data
 * and control packets, parsed and written bounds-checked, plus the 31-bit
 * sequence-number arithmetic.
 *
 * ```
 * data     0|seq(31)            PP(2) O(1) KK(2) R(1) msgno(26)   timestamp(32)  dst socket id(32)  payload
 * control  1|type(15) subtype(16)  type-specific info(32)         timestamp(32)  dst socket id(32)  CIF
 * ```
 *
 * Data path: {@linkcode parseSrtPacket} returns views into the datagram (the
 * payload is never copied); writers allocate one datagram each.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

/**
 * Bytes of the SRT header.
 *
 * @example
 * ```ts
 * import { SRT_HEADER_BYTES } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SRT_HEADER_BYTES, 16);
 * ```
 */
export const SRT_HEADER_BYTES = 16;

/**
 * Largest payload of a live-mode data packet: seven 188-byte TS packets.
 *
 * @example
 * ```ts
 * import { SRT_LIVE_PAYLOAD_BYTES } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SRT_LIVE_PAYLOAD_BYTES, 7 * 188);
 * ```
 */
export const SRT_LIVE_PAYLOAD_BYTES = 1316;

/**
 * Control packet types (§3.2).
 *
 * @example
 * ```ts
 * import { SrtControlType } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtControlType.Ack, 2);
 * ```
 */
export const SrtControlType = {
  /** Connection setup. */
  Handshake: 0,
  /** Keeps an idle connection open. */
  Keepalive: 1,
  /** Acknowledgement. */
  Ack: 2,
  /** Negative acknowledgement (loss report). */
  Nak: 3,
  /** Congestion warning (unused in live mode). */
  CongestionWarning: 4,
  /** Connection close. */
  Shutdown: 5,
  /** Acknowledgement of an ACK (RTT). */
  AckAck: 6,
  /** Message drop request. */
  DropReq: 7,
  /** Peer error. */
  PeerError: 8,
  /** SRT extension (KM refresh uses subtype 3/4). */
  UserDefined: 0x7fff,
} as const;

/**
 * A parsed data packet; `payload` is a view into the datagram.
 *
 * @example
 * ```ts
 * import { parseSrtPacket, writeSrtData } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const bytes = writeSrtData({ seq: 5, position: 3, inOrder: false, keyFlags: 0,
 *   retransmitted: false, messageNumber: 1, timestamp: 10, destinationSocketId: 7 }, new Uint8Array(4));
 * const p = parseSrtPacket(bytes);
 * assert.equal(p.control, false);
 * if (!p.control) assert.equal(p.seq, 5);
 * ```
 */
export interface SrtDataPacket {
  /** Always false. */
  control: false;
  /** Packet sequence number (31 bits). */
  seq: number;
  /** PP: 2 first, 1 last, 3 solo, 0 middle. */
  position: number;
  /** O flag. */
  inOrder: boolean;
  /** KK: 0 clear, 1 even key, 2 odd key. */
  keyFlags: number;
  /** R flag (retransmitted). */
  retransmitted: boolean;
  /** Message number (26 bits). */
  messageNumber: number;
  /** Sender time, µs since its connection start (32 bits, wraps). */
  timestamp: number;
  /** The receiver's socket id. */
  destinationSocketId: number;
  /** The payload (a view). */
  payload: Uint8Array;
}

/**
 * A parsed control packet; `cif` is a view into the datagram.
 *
 * @example
 * ```ts
 * import { parseSrtPacket, SrtControlType, writeSrtControl } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const bytes = writeSrtControl({ type: SrtControlType.Keepalive, subtype: 0, info: 0,
 *   timestamp: 1, destinationSocketId: 2 });
 * const p = parseSrtPacket(bytes);
 * assert.ok(p.control && p.type === SrtControlType.Keepalive);
 * ```
 */
export interface SrtControlPacket {
  /** Always true. */
  control: true;
  /** Control type (15 bits). */
  type: number;
  /** Subtype (16 bits). */
  subtype: number;
  /** Type-specific information (ACK number, message number, …). */
  info: number;
  /** Sender time, µs. */
  timestamp: number;
  /** The receiver's socket id (0 for a handshake to a listener). */
  destinationSocketId: number;
  /** Control information field (a view). */
  cif: Uint8Array;
}

/**
 * Either kind of packet.
 *
 * @example
 * ```ts
 * import type { SrtPacket } from "@arcly/stream/srt";
 * const isData = (p: SrtPacket): boolean => !p.control;
 * ```
 */
export type SrtPacket = SrtDataPacket | SrtControlPacket;

/**
 * Fields of a data packet header (everything but the payload).
 *
 * @example
 * ```ts
 * import type { SrtDataHeader } from "@arcly/stream/srt";
 * const h: SrtDataHeader = { seq: 1, position: 3, inOrder: false, keyFlags: 0, retransmitted: false,
 *   messageNumber: 1, timestamp: 0, destinationSocketId: 5 };
 * ```
 */
export type SrtDataHeader = Omit<SrtDataPacket, "control" | "payload">;
/**
 * Fields of a control packet header (everything but the CIF).
 *
 * @example
 * ```ts
 * import type { SrtControlHeader } from "@arcly/stream/srt";
 * const h: SrtControlHeader = { type: 1, subtype: 0, info: 0, timestamp: 0, destinationSocketId: 5 };
 * ```
 */
export type SrtControlHeader = Omit<SrtControlPacket, "control" | "cif">;

/**
 * Parse one datagram.
 *
 * @example
 * ```ts
 * import { parseSrtPacket, StreamError } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseSrtPacket(new Uint8Array(3)), StreamError);
 * ```
 *
 * @param bytes one UDP payload
 * @returns the packet (views into `bytes`)
 * @throws {StreamError} `InvalidInput` when shorter than the header
 */
export function parseSrtPacket(bytes: Uint8Array): SrtPacket {
  if (bytes.length < SRT_HEADER_BYTES) {
    throw new StreamError(
      "InvalidInput",
      `Cannot parse SRT packet: ${bytes.length} bytes, header needs 16`,
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w0 = v.getUint32(0);
  const w1 = v.getUint32(4);
  const timestamp = v.getUint32(8);
  const destinationSocketId = v.getUint32(12);
  const rest = bytes.subarray(SRT_HEADER_BYTES);
  if ((w0 & 0x80000000) !== 0) {
    return {
      control: true,
      type: (w0 >>> 16) & 0x7fff,
      subtype: w0 & 0xffff,
      info: w1,
      timestamp,
      destinationSocketId,
      cif: rest,
    };
  }
  return {
    control: false,
    seq: w0 & 0x7fffffff,
    position: w1 >>> 30,
    inOrder: (w1 & 0x20000000) !== 0,
    keyFlags: (w1 >>> 27) & 3,
    retransmitted: (w1 & 0x04000000) !== 0,
    messageNumber: w1 & 0x03ffffff,
    timestamp,
    destinationSocketId,
    payload: rest,
  };
}

/**
 * Write a data packet header into `out` (16 bytes at `offset`).
 *
 * @example
 * ```ts
 * import { writeSrtDataHeader } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const out = new Uint8Array(16);
 * writeSrtDataHeader(out, 0, { seq: 1, position: 3, inOrder: false, keyFlags: 0,
 *   retransmitted: false, messageNumber: 1, timestamp: 0, destinationSocketId: 9 });
 * assert.equal(out[3], 1);
 * ```
 *
 * @param out destination
 * @param offset where the header starts
 * @param h header fields
 */
export function writeSrtDataHeader(
  out: Uint8Array,
  offset: number,
  h: SrtDataHeader,
): void {
  const v = new DataView(out.buffer, out.byteOffset + offset, 16);
  v.setUint32(0, h.seq & 0x7fffffff);
  v.setUint32(
    4,
    (((h.position & 3) << 30) | (h.inOrder ? 0x20000000 : 0) |
      ((h.keyFlags & 3) << 27) | (h.retransmitted ? 0x04000000 : 0) |
      (h.messageNumber & 0x03ffffff)) >>> 0,
  );
  v.setUint32(8, h.timestamp >>> 0);
  v.setUint32(12, h.destinationSocketId >>> 0);
}

/**
 * Build a data packet (header + a copy of `payload`).
 *
 * @example
 * ```ts
 * import { writeSrtData } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const p = writeSrtData({ seq: 1, position: 3, inOrder: false, keyFlags: 0,
 *   retransmitted: false, messageNumber: 1, timestamp: 0, destinationSocketId: 9 }, new Uint8Array(188));
 * assert.equal(p.length, 16 + 188);
 * ```
 *
 * @param h header fields
 * @param payload the payload bytes
 * @returns one datagram
 */
export function writeSrtData(
  h: SrtDataHeader,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(SRT_HEADER_BYTES + payload.length);
  writeSrtDataHeader(out, 0, h);
  out.set(payload, SRT_HEADER_BYTES);
  return out;
}

/**
 * Build a control packet.
 *
 * @example
 * ```ts
 * import { SrtControlType, writeSrtControl } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const p = writeSrtControl({ type: SrtControlType.Shutdown, subtype: 0, info: 0,
 *   timestamp: 0, destinationSocketId: 1 }, new Uint8Array(4));
 * assert.equal(p[0], 0x80);
 * assert.equal(p[1], 5);
 * ```
 *
 * @param h header fields
 * @param cif control information field
 * @returns one datagram
 */
export function writeSrtControl(
  h: SrtControlHeader,
  cif: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(SRT_HEADER_BYTES + cif.length);
  const v = new DataView(out.buffer);
  v.setUint32(
    0,
    (0x80000000 | ((h.type & 0x7fff) << 16) | (h.subtype & 0xffff)) >>> 0,
  );
  v.setUint32(4, h.info >>> 0);
  v.setUint32(8, h.timestamp >>> 0);
  v.setUint32(12, h.destinationSocketId >>> 0);
  out.set(cif, SRT_HEADER_BYTES);
  return out;
}

/** Sequence numbers are 31 bits. */
const SEQ_MOD = 0x80000000;

/**
 * `a - b` for 31-bit sequence numbers, in −2³⁰…2³⁰.
 *
 * @example
 * ```ts
 * import { seqDiff } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(seqDiff(1, 0x7fffffff), 2);
 * ```
 *
 * @param a later number
 * @param b earlier number
 * @returns the signed distance
 */
export function seqDiff(a: number, b: number): number {
  let d = (a - b) % SEQ_MOD;
  if (d < 0) d += SEQ_MOD;
  return d >= SEQ_MOD / 2 ? d - SEQ_MOD : d;
}

/**
 * `seq + n` modulo 2³¹.
 *
 * @example
 * ```ts
 * import { seqAdd } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(seqAdd(0x7fffffff, 1), 0);
 * ```
 *
 * @param seq a sequence number
 * @param n steps (may be negative)
 * @returns the sequence number n steps on
 */
export function seqAdd(seq: number, n: number): number {
  let r = (seq + n) % SEQ_MOD;
  if (r < 0) r += SEQ_MOD;
  return r;
}
