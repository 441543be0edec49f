/**
 * RTP (RFC 3550) and its payload formats, without sockets: packet parse and
 * serialize, per-stream packetizers and depacketizers for H.264 (RFC 6184),
 * H.265 (RFC 7798), AAC (RFC 3640 mpeg4-generic; MP4A-LATM RFC 6416 depacketize
 * only), Opus (RFC 7587), G.711
 * (RFC 3551), VP8 (RFC 7741), VP9 (RFC 9628) and AV1 (AOM AV1 RTP v1.0), RTCP reports and feedback (RFC 3550, RFC 4585), and a bounded
 * reorder buffer ({@linkcode RtpReorderBuffer}).
 *
 * Data path: a depacketizer keeps views into the pushed packets until an
 * access unit completes, then writes the frame once (AVCC for H.264; AAC and
 * Opus frames are views into the packet). A packetizer is kept per stream and
 * format: it copies each frame's bytes once into complete RTP packets that
 * every viewer shares (only SRTP/transport differs per viewer). Memory is
 * bounded per depacketizer by one access unit (16 MiB, 4096 units).
 *
 * @example Round trip an H.264 access unit
 * ```ts
 * import { createDepacketizer, createPacketizer, parseRtpPacket } from "@arcly/stream/rtp";
 * import { buildAvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps = new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]);
 * const pps = new Uint8Array([0x68, 0xce, 0x3c, 0x80]);
 * const base = { kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0, timescale: 90000, keyframe: true } as const;
 * const packetizer = createPacketizer("h264", { payloadType: 96, mtu: 200 });
 * packetizer.packetize({ ...base, config: true, data: buildAvcDecoderConfig({ sps: [sps], pps: [pps] }) });
 * const idr = new Uint8Array(1000).fill(7);
 * idr[0] = 0x65;
 * const sample = new Uint8Array([0, 0, 0x03, 0xe8, ...idr]);
 * const packets = packetizer.packetize({ ...base, config: false, data: sample });
 * assert.equal(packets.length, 7); // STAP-A(SPS, PPS) + 6 FU-A
 * const depacketizer = createDepacketizer({ encodingName: "H264", clockRate: 90000, fmtp: {} });
 * const frames = packets.flatMap((bytes) => depacketizer.push(parseRtpPacket(bytes)));
 * assert.deepEqual(frames.map((f) => f.config), [true, false]);
 * assert.deepEqual(frames[1]!.data, sample);
 * ```
 *
 * @module
 */
export * from "../frame.ts";
export * from "./rtp_packet.ts";
export * from "./types.ts";
export * from "./factory.ts";
export * from "./rtcp.ts";
export * from "./rtcp_build.ts";
export * from "./reorder_buffer.ts";
export * from "./reception_stats.ts";
