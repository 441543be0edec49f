/**
 * RTCP (RFC 3550 §6) compound packets: sender and receiver reports, SDES,
 * BYE, and the RFC 4585 feedback messages generic NACK, PLI and FIR
 * (RFC 5104 §4.3.1); others are kept as `unknown`.
 *
 * Data path: {@linkcode parseRtcp} reads the caller's bytes in place (bounded
 * by the datagram); {@linkcode serializeRtcp} sizes the compound first and
 * allocates once.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";

/**
 * One reception report block (RFC 3550 §6.4.1).
 *
 * @example
 * ```ts
 * import type { RtcpReportBlock } from "@arcly/stream/rtp";
 * const block: RtcpReportBlock = { ssrc: 1, fractionLost: 0, cumulativeLost: 0, highestSequence: 100, jitter: 0, lastSr: 0, delaySinceLastSr: 0 };
 * ```
 */
export interface RtcpReportBlock {
  /** The source reported on. */
  ssrc: number;
  /** Fraction lost since the last report, 0..255 (/256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  cumulativeLost: number;
  /** Extended highest sequence number received. */
  highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received. */
  lastSr: number;
  /** Delay since that SR in 1/65536 s. */
  delaySinceLastSr: number;
}

/**
 * An RTCP packet of a compound.
 *
 * @example
 * ```ts
 * import type { RtcpPacket } from "@arcly/stream/rtp";
 * const pli: RtcpPacket = { type: "pli", senderSsrc: 1, mediaSsrc: 2 };
 * ```
 */
export type RtcpPacket =
  | {
    type: "sr";
    ssrc: number;
    /** NTP timestamp, seconds since 1900. */
    ntpSeconds: number;
    /** NTP timestamp, fraction (/2^32). */
    ntpFraction: number;
    rtpTimestamp: number;
    packetCount: number;
    octetCount: number;
    reports: RtcpReportBlock[];
  }
  | { type: "rr"; ssrc: number; reports: RtcpReportBlock[] }
  | {
    type: "sdes";
    chunks: { ssrc: number; items: { type: number; text: string }[] }[];
  }
  | { type: "bye"; ssrcs: number[]; reason?: string }
  /** Generic NACK (RFC 4585 §6.2.1): the lost sequence numbers, expanded from PID/BLP. */
  | { type: "nack"; senderSsrc: number; mediaSsrc: number; lost: number[] }
  | { type: "pli"; senderSsrc: number; mediaSsrc: number }
  | {
    type: "fir";
    senderSsrc: number;
    entries: { ssrc: number; sequence: number }[];
  }
  | { type: "unknown"; packetType: number; count: number; body: Uint8Array };

const SR = 200, RR = 201, SDES = 202, BYE = 203, RTPFB = 205, PSFB = 206;
/** Seconds between the NTP epoch (1900) and the Unix epoch. */
const NTP_UNIX_OFFSET = 2_208_988_800;
/** Most lost sequence numbers expanded from one NACK packet. */
const MAX_NACK_LOST = 4096;

function fail(why: string): StreamError {
  return new StreamError("InvalidInput", `Cannot parse RTCP: ${why}`);
}

/**
 * The NTP timestamp (seconds since 1900, 32-bit fraction) of a Unix time in ms.
 *
 * @param unixMs milliseconds since 1970
 * @returns NTP seconds and fraction
 *
 * @example
 * ```ts
 * import { ntpTimestamp } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ntpTimestamp(500), { seconds: 2208988800, fraction: 2147483648 });
 * ```
 */
export function ntpTimestamp(
  unixMs: number,
): { seconds: number; fraction: number } {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32);
  return {
    seconds: (seconds + NTP_UNIX_OFFSET) >>> 0,
    fraction: fraction >>> 0,
  };
}

/**
 * True when a datagram on an rtcp-mux port is RTCP (RFC 5761 §4: payload
 * type byte 192..223), not RTP.
 *
 * @param bytes the datagram
 * @returns whether it is RTCP
 *
 * @example
 * ```ts
 * import { isRtcp } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 * assert.equal(isRtcp(new Uint8Array([0x81, 201, 0, 1, 0, 0, 0, 1])), true);
 * assert.equal(isRtcp(new Uint8Array([0x80, 96, 0, 1])), false);
 * ```
 */
export function isRtcp(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0]! >> 6 === 2 && bytes[1]! >= 192 &&
    bytes[1]! <= 223;
}

function reports(
  view: DataView,
  pos: number,
  count: number,
  end: number,
): RtcpReportBlock[] {
  if (pos + 24 * count > end) {
    throw fail(`${count} report blocks exceed the packet`);
  }
  const out: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, pos += 24) {
    const lost = view.getUint32(pos + 4) & 0xffffff;
    out.push({
      ssrc: view.getUint32(pos),
      fractionLost: view.getUint8(pos + 4),
      cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
      highestSequence: view.getUint32(pos + 8),
      jitter: view.getUint32(pos + 12),
      lastSr: view.getUint32(pos + 16),
      delaySinceLastSr: view.getUint32(pos + 20),
    });
  }
  return out;
}

const decoder = new TextDecoder();

/**
 * Parses a compound RTCP packet.
 *
 * @param bytes one datagram
 * @returns the packets, in order
 * @throws {StreamError} `InvalidInput` on a bad version, length or truncation
 *
 * @example A receiver report
 * ```ts
 * import { parseRtcp } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 * const [rr] = parseRtcp(new Uint8Array([0x80, 201, 0, 1, 0, 0, 0, 9]));
 * assert.deepEqual(rr, { type: "rr", ssrc: 9, reports: [] });
 * ```
 */
export function parseRtcp(bytes: Uint8Array): RtcpPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RtcpPacket[] = [];
  let pos = 0;
  if (bytes.length < 4) {
    throw fail(`${bytes.length} bytes is shorter than a header`);
  }
  while (pos + 4 <= bytes.length) {
    const b0 = bytes[pos]!;
    if (b0 >> 6 !== 2) throw fail(`version ${b0 >> 6} at byte ${pos}`);
    const count = b0 & 0x1f;
    const pt = bytes[pos + 1]!;
    let end = pos + 4 + 4 * view.getUint16(pos + 2);
    if (end > bytes.length) {
      throw fail(`packet at byte ${pos} exceeds the datagram`);
    }
    if (b0 & 0x20) {
      const pad = bytes[end - 1]!;
      if (pad === 0 || pad > end - pos - 4) throw fail(`padding ${pad}`);
      end -= pad;
    }
    const body = pos + 4;
    const need = (n: number) => {
      if (body + n > end) throw fail(`packet type ${pt} is truncated`);
    };
    if (pt === SR) {
      need(24);
      out.push({
        type: "sr",
        ssrc: view.getUint32(body),
        ntpSeconds: view.getUint32(body + 4),
        ntpFraction: view.getUint32(body + 8),
        rtpTimestamp: view.getUint32(body + 12),
        packetCount: view.getUint32(body + 16),
        octetCount: view.getUint32(body + 20),
        reports: reports(view, body + 24, count, end),
      });
    } else if (pt === RR) {
      need(4);
      out.push({
        type: "rr",
        ssrc: view.getUint32(body),
        reports: reports(view, body + 4, count, end),
      });
    } else if (pt === SDES) {
      const chunks: {
        ssrc: number;
        items: { type: number; text: string }[];
      }[] = [];
      let p = body;
      for (let c = 0; c < count; c++) {
        if (p + 4 > end) throw fail("SDES chunk is truncated");
        const chunk = {
          ssrc: view.getUint32(p),
          items: [] as { type: number; text: string }[],
        };
        p += 4;
        while (p < end && bytes[p] !== 0) {
          if (p + 2 > end || p + 2 + bytes[p + 1]! > end) {
            throw fail("SDES item is truncated");
          }
          const len = bytes[p + 1]!;
          chunk.items.push({
            type: bytes[p]!,
            text: decoder.decode(bytes.subarray(p + 2, p + 2 + len)),
          });
          p += 2 + len;
        }
        p = (p + 4) & ~3; // the null item and padding to a word
        chunks.push(chunk);
      }
      out.push({ type: "sdes", chunks });
    } else if (pt === BYE) {
      need(4 * count);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(body + 4 * i));
      const packet: RtcpPacket = { type: "bye", ssrcs };
      const r = body + 4 * count;
      if (r < end) {
        const len = bytes[r]!;
        if (r + 1 + len > end) throw fail("BYE reason is truncated");
        packet.reason = decoder.decode(bytes.subarray(r + 1, r + 1 + len));
      }
      out.push(packet);
    } else if (
      (pt === RTPFB && count === 1) ||
      (pt === PSFB && (count === 1 || count === 4))
    ) {
      need(8);
      const senderSsrc = view.getUint32(body);
      const mediaSsrc = view.getUint32(body + 4);
      if (pt === PSFB && count === 1) {
        out.push({ type: "pli", senderSsrc, mediaSsrc });
      } else if (pt === PSFB) {
        const entries: { ssrc: number; sequence: number }[] = [];
        for (let p = body + 8; p + 8 <= end; p += 8) {
          entries.push({ ssrc: view.getUint32(p), sequence: bytes[p + 4]! });
        }
        out.push({ type: "fir", senderSsrc, entries });
      } else {
        const lost: number[] = [];
        for (
          let p = body + 8;
          p + 4 <= end && lost.length < MAX_NACK_LOST;
          p += 4
        ) {
          const pid = view.getUint16(p);
          const blp = view.getUint16(p + 2);
          lost.push(pid);
          for (let b = 0; b < 16; b++) {
            if (blp & (1 << b)) lost.push((pid + b + 1) & 0xffff);
          }
        }
        out.push({ type: "nack", senderSsrc, mediaSsrc, lost });
      }
    } else {
      out.push({
        type: "unknown",
        packetType: pt,
        count,
        body: bytes.subarray(body, end),
      });
    }
    pos = pos + 4 + 4 * view.getUint16(pos + 2);
  }
  if (pos !== bytes.length) throw fail(`${bytes.length - pos} trailing bytes`);
  return out;
}
