/**
 * RTCP compound packets out: {@linkcode serializeRtcp} and
 * {@linkcode buildSenderReport} (RFC 3550 §6.4.1, RFC 4585 §6).
 *
 * Data path: each packet body is sized first; the compound is allocated once.
 *
 * @module
 */
import { ntpTimestamp, type RtcpPacket, type RtcpReportBlock } from "./rtcp.ts";

const SR = 200, RR = 201, SDES = 202, BYE = 203, RTPFB = 205, PSFB = 206;

const encoder = new TextEncoder();

function packetBody(
  p: RtcpPacket,
): { pt: number; count: number; body: Uint8Array } {
  const words = (n: number) => new Uint8Array((n + 3) & ~3);
  const writeBlocks = (
    view: DataView,
    pos: number,
    blocks: readonly RtcpReportBlock[],
  ) => {
    for (const b of blocks) {
      view.setUint32(pos, b.ssrc >>> 0);
      view.setUint32(
        pos + 4,
        ((b.fractionLost & 0xff) << 24 | (b.cumulativeLost & 0xffffff)) >>> 0,
      );
      view.setUint32(pos + 8, b.highestSequence >>> 0);
      view.setUint32(pos + 12, b.jitter >>> 0);
      view.setUint32(pos + 16, b.lastSr >>> 0);
      view.setUint32(pos + 20, b.delaySinceLastSr >>> 0);
      pos += 24;
    }
  };
  switch (p.type) {
    case "sr": {
      const body = words(24 + 24 * p.reports.length);
      const v = new DataView(body.buffer);
      [
        p.ssrc,
        p.ntpSeconds,
        p.ntpFraction,
        p.rtpTimestamp,
        p.packetCount,
        p.octetCount,
      ]
        .forEach((x, i) => v.setUint32(4 * i, x >>> 0));
      writeBlocks(v, 24, p.reports);
      return { pt: SR, count: p.reports.length, body };
    }
    case "rr": {
      const body = words(4 + 24 * p.reports.length);
      const v = new DataView(body.buffer);
      v.setUint32(0, p.ssrc >>> 0);
      writeBlocks(v, 4, p.reports);
      return { pt: RR, count: p.reports.length, body };
    }
    case "sdes": {
      const parts: number[] = [];
      for (const c of p.chunks) {
        parts.push(
          c.ssrc >>> 24,
          (c.ssrc >>> 16) & 0xff,
          (c.ssrc >>> 8) & 0xff,
          c.ssrc & 0xff,
        );
        for (const item of c.items) {
          const text = encoder.encode(item.text).subarray(0, 255);
          parts.push(item.type, text.length, ...text);
        }
        parts.push(0);
        while (parts.length % 4 !== 0) parts.push(0);
      }
      return { pt: SDES, count: p.chunks.length, body: Uint8Array.from(parts) };
    }
    case "bye": {
      const reason = p.reason === undefined
        ? undefined
        : encoder.encode(p.reason).subarray(0, 255);
      const body = words(4 * p.ssrcs.length + (reason ? 1 + reason.length : 0));
      const v = new DataView(body.buffer);
      p.ssrcs.forEach((s, i) => v.setUint32(4 * i, s >>> 0));
      if (reason) {
        body[4 * p.ssrcs.length] = reason.length;
        body.set(reason, 4 * p.ssrcs.length + 1);
      }
      return { pt: BYE, count: p.ssrcs.length, body };
    }
    case "pli": {
      const body = words(8);
      const v = new DataView(body.buffer);
      v.setUint32(0, p.senderSsrc >>> 0);
      v.setUint32(4, p.mediaSsrc >>> 0);
      return { pt: PSFB, count: 1, body };
    }
    case "fir": {
      const body = words(8 + 8 * p.entries.length);
      const v = new DataView(body.buffer);
      v.setUint32(0, p.senderSsrc >>> 0);
      p.entries.forEach((e, i) => {
        v.setUint32(8 + 8 * i, e.ssrc >>> 0);
        body[12 + 8 * i] = e.sequence & 0xff;
      });
      return { pt: PSFB, count: 4, body };
    }
    case "nack": {
      const items: [number, number][] = [];
      const sorted = [...new Set(p.lost.map((s) => s & 0xffff))].sort((a, b) =>
        a - b
      );
      for (const seq of sorted) {
        const last = items[items.length - 1];
        const d = last === undefined ? -1 : (seq - last[0]) & 0xffff;
        if (last !== undefined && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
        else items.push([seq, 0]);
      }
      const body = words(8 + 4 * items.length);
      const v = new DataView(body.buffer);
      v.setUint32(0, p.senderSsrc >>> 0);
      v.setUint32(4, p.mediaSsrc >>> 0);
      items.forEach(([pid, blp], i) => {
        v.setUint16(8 + 4 * i, pid);
        v.setUint16(10 + 4 * i, blp);
      });
      return { pt: RTPFB, count: 1, body };
    }
    case "unknown":
      return { pt: p.packetType, count: p.count, body: p.body };
  }
}

/**
 * Serializes packets into one compound RTCP datagram (one allocation).
 *
 * @param packets the packets (RFC 3550 wants an SR or RR first)
 * @returns the datagram
 * @throws {RangeError} when a count exceeds 31 or a body is not word-aligned
 *
 * @example A sender report with an SDES CNAME, parsed back
 * ```ts
 * import { ntpTimestamp, parseRtcp, serializeRtcp } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const ntp = ntpTimestamp(Date.UTC(2026, 0, 1));
 * const bytes = serializeRtcp([
 *   { type: "sr", ssrc: 7, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 90000, packetCount: 10, octetCount: 1000, reports: [] },
 *   { type: "sdes", chunks: [{ ssrc: 7, items: [{ type: 1, text: "arcly" }] }] },
 * ]);
 * const [sr, sdes] = parseRtcp(bytes);
 * assert.ok(sr?.type === "sr" && sr.packetCount === 10);
 * assert.ok(sdes?.type === "sdes" && sdes.chunks[0]!.items[0]!.text === "arcly");
 * ```
 */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const bodies = packets.map(packetBody);
  let size = 0;
  for (const b of bodies) {
    if (b.count > 31 || b.body.length % 4 !== 0 || b.body.length > 0x3fffc) {
      throw new RangeError(
        `Cannot serialize RTCP packet type ${b.pt}: count ${b.count}, body ${b.body.length} bytes`,
      );
    }
    size += 4 + b.body.length;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const b of bodies) {
    out[pos] = 0x80 | b.count;
    out[pos + 1] = b.pt;
    out[pos + 2] = (b.body.length / 4) >> 8;
    out[pos + 3] = (b.body.length / 4) & 0xff;
    out.set(b.body, pos + 4);
    pos += 4 + b.body.length;
  }
  return out;
}

/**
 * Options of {@linkcode buildSenderReport}.
 *
 * @example
 * ```ts
 * import type { SenderReportInit } from "@arcly/stream/rtp";
 * const init: SenderReportInit = { ssrc: 1, unixMs: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 };
 * ```
 */
export interface SenderReportInit {
  /** Sender SSRC (the packetizer's). */
  ssrc: number;
  /** Wallclock of the report, ms since 1970. */
  unixMs: number;
  /** RTP timestamp corresponding to `unixMs` (same clock as the media). */
  rtpTimestamp: number;
  /** Packets sent (the packetizer's `stats.packets`). */
  packetCount: number;
  /** Payload octets sent (the packetizer's `stats.octets`). */
  octetCount: number;
  /** SDES CNAME to append (RFC 3550 wants one in every compound). */
  cname?: string;
}

/**
 * Builds a compound SR (+ SDES CNAME) datagram for one sender.
 *
 * @param init SSRC, wallclock, RTP time and counts
 * @returns the datagram
 *
 * @example
 * ```ts
 * import { buildSenderReport, parseRtcp } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const bytes = buildSenderReport({ ssrc: 5, unixMs: 1_000, rtpTimestamp: 90_000, packetCount: 3, octetCount: 300, cname: "arcly" });
 * assert.deepEqual(parseRtcp(bytes).map((p) => p.type), ["sr", "sdes"]);
 * ```
 */
export function buildSenderReport(init: SenderReportInit): Uint8Array {
  const ntp = ntpTimestamp(init.unixMs);
  const packets: RtcpPacket[] = [{
    type: "sr",
    ssrc: init.ssrc,
    ntpSeconds: ntp.seconds,
    ntpFraction: ntp.fraction,
    rtpTimestamp: init.rtpTimestamp,
    packetCount: init.packetCount,
    octetCount: init.octetCount,
    reports: [],
  }];
  if (init.cname !== undefined) {
    packets.push({
      type: "sdes",
      chunks: [{ ssrc: init.ssrc, items: [{ type: 1, text: init.cname }] }],
    });
  }
  return serializeRtcp(packets);
}
