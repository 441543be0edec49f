/**
 * RTP fixed header parse and serialize (RFC 3550 §5.1), with CSRCs, the
 * header extension (§5.3.1) and padding.
 *
 * Data path: {@linkcode parseRtpPacket} returns views into the caller's
 * datagram (`payload`, `extension.data`): nothing is copied.
 * {@linkcode serializeRtpPacket} sizes the packet first and allocates once.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";

/**
 * One RTP packet (RFC 3550 §5.1).
 *
 * @example
 * ```ts
 * import type { RtpPacket } from "@arcly/stream/rtp";
 * const packet: RtpPacket = {
 *   marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 3000, ssrc: 0x1234,
 *   csrcs: [], payload: new Uint8Array([0x65]),
 * };
 * ```
 */
export interface RtpPacket {
  /** The marker bit (end of an access unit for video). */
  marker: boolean;
  /** Payload type, 0..127. */
  payloadType: number;
  /** Sequence number, 0..65535. */
  sequenceNumber: number;
  /** RTP timestamp, 0..2^32-1, in clock-rate ticks. */
  timestamp: number;
  /** Synchronization source, 0..2^32-1. */
  ssrc: number;
  /** Contributing sources (at most 15). */
  csrcs: readonly number[];
  /** The header extension (profile-defined 16 bits and its data, a multiple of 4 bytes). */
  extension?: { profile: number; data: Uint8Array };
  /** The payload (a view into the parsed bytes). */
  payload: Uint8Array;
  /** Padding bytes after the payload (including the count byte); 0 or absent for none. */
  paddingBytes?: number;
}

/**
 * Bytes of the fixed RTP header.
 *
 * @example
 * ```ts
 * import { RTP_HEADER_BYTES } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 * assert.equal(RTP_HEADER_BYTES, 12);
 * ```
 */
export const RTP_HEADER_BYTES = 12;

function invalid(why: string): StreamError {
  return new StreamError("InvalidInput", `Cannot parse RTP packet: ${why}`);
}

/**
 * Parses one RTP packet. The payload and extension data are views (no copy).
 *
 * @param bytes one datagram (or one interleaved frame body)
 * @returns the packet
 * @throws {StreamError} `InvalidInput` on a version other than 2, truncation or bad padding
 *
 * @example
 * ```ts
 * import { parseRtpPacket } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const packet = parseRtpPacket(new Uint8Array([0x80, 0xe0, 0, 7, 0, 0, 0x0b, 0xb8, 0, 0, 0, 1, 0x65, 0x88]));
 * assert.equal(packet.marker, true);
 * assert.equal(packet.payloadType, 96);
 * assert.equal(packet.sequenceNumber, 7);
 * assert.equal(packet.timestamp, 3000);
 * assert.deepEqual([...packet.payload], [0x65, 0x88]);
 * ```
 */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  if (bytes.length < RTP_HEADER_BYTES) {
    throw invalid(`${bytes.length} bytes is shorter than the 12-byte header`);
  }
  const b0 = bytes[0]!;
  if (b0 >> 6 !== 2) throw invalid(`version ${b0 >> 6}, expected 2`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const csrcCount = b0 & 0x0f;
  let pos = RTP_HEADER_BYTES + 4 * csrcCount;
  if (pos > bytes.length) throw invalid(`${csrcCount} CSRCs exceed the packet`);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(view.getUint32(12 + 4 * i));
  let extension: RtpPacket["extension"];
  if (b0 & 0x10) {
    if (pos + 4 > bytes.length) throw invalid("truncated header extension");
    const profile = view.getUint16(pos);
    const words = view.getUint16(pos + 2);
    const start = pos + 4;
    pos = start + 4 * words;
    if (pos > bytes.length) {
      throw invalid(`header extension of ${words} words exceeds the packet`);
    }
    extension = { profile, data: bytes.subarray(start, pos) };
  }
  let end = bytes.length;
  let paddingBytes = 0;
  if (b0 & 0x20) {
    paddingBytes = bytes[end - 1]!;
    if (paddingBytes === 0 || paddingBytes > end - pos) {
      throw invalid(`padding count ${paddingBytes} is out of range`);
    }
    end -= paddingBytes;
  }
  const packet: RtpPacket = {
    marker: (bytes[1]! & 0x80) !== 0,
    payloadType: bytes[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    payload: bytes.subarray(pos, end),
  };
  if (extension !== undefined) packet.extension = extension;
  if (paddingBytes > 0) packet.paddingBytes = paddingBytes;
  return packet;
}

/**
 * Serializes one RTP packet (one allocation).
 *
 * @param packet the packet; `extension.data` must be a multiple of 4 bytes
 * @returns the datagram bytes
 * @throws {RangeError} when a field does not fit its header field
 *
 * @example Round trip
 * ```ts
 * import { parseRtpPacket, serializeRtpPacket } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const bytes = serializeRtpPacket({
 *   marker: false, payloadType: 111, sequenceNumber: 65535, timestamp: 960, ssrc: 42,
 *   csrcs: [], payload: new Uint8Array([0xfc, 1, 2]),
 * });
 * const packet = parseRtpPacket(bytes);
 * assert.equal(packet.payloadType, 111);
 * assert.deepEqual([...packet.payload], [0xfc, 1, 2]);
 * ```
 */
export function serializeRtpPacket(packet: RtpPacket): Uint8Array {
  const { csrcs, extension, payload } = packet;
  const padding = packet.paddingBytes ?? 0;
  if (
    csrcs.length > 15 || padding < 0 || padding > 255 ||
    !(packet.payloadType >= 0 && packet.payloadType <= 127) ||
    !(packet.sequenceNumber >= 0 && packet.sequenceNumber <= 0xffff)
  ) {
    throw new RangeError(
      "Cannot serialize RTP packet: a CSRC count, padding, payload type or sequence number is out of range",
    );
  }
  if (extension !== undefined && extension.data.length % 4 !== 0) {
    throw new RangeError(
      `Cannot serialize RTP packet: extension of ${extension.data.length} bytes is not a multiple of 4`,
    );
  }
  const extBytes = extension === undefined ? 0 : 4 + extension.data.length;
  const headerBytes = RTP_HEADER_BYTES + 4 * csrcs.length + extBytes;
  const out = new Uint8Array(headerBytes + payload.length + padding);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) |
    (extension !== undefined ? 0x10 : 0) | csrcs.length;
  out[1] = (packet.marker ? 0x80 : 0) | packet.payloadType;
  view.setUint16(2, packet.sequenceNumber);
  view.setUint32(4, packet.timestamp >>> 0);
  view.setUint32(8, packet.ssrc >>> 0);
  let pos = RTP_HEADER_BYTES;
  for (const csrc of csrcs) {
    view.setUint32(pos, csrc >>> 0);
    pos += 4;
  }
  if (extension !== undefined) {
    view.setUint16(pos, extension.profile);
    view.setUint16(pos + 2, extension.data.length / 4);
    out.set(extension.data, pos + 4);
    pos += extBytes;
  }
  out.set(payload, pos);
  if (padding > 0) out[out.length - 1] = padding;
  return out;
}
