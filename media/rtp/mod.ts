/**
 * RTP (RFC 3550) and its payload formats, without sockets.
 *
 * - Packets: {@linkcode parseRtpPacket}, {@linkcode serializeRtpPacket}.
 * - Payload formats ({@linkcode createPacketizer} by codec,
 *   {@linkcode createDepacketizer} by SDP encoding name): H.264 (RFC 6184),
 *   H.265 (RFC 7798), AAC as mpeg4-generic (RFC 3640) and, depacketize only,
 *   MP4A-LATM (RFC 6416), Opus (RFC 7587), G.711 PCMU/PCMA (RFC 3551),
 *   VP8 (RFC 7741), VP9 (RFC 9628) and AV1 (AOM AV1 RTP v1.0).
 * - RTCP: {@linkcode parseRtcp}, {@linkcode serializeRtcp},
 *   {@linkcode buildSenderReport} (SR/RR/SDES/BYE, RFC 4585 NACK/PLI, FIR),
 *   {@linkcode RtpReceptionStats} for receiver reports.
 * - {@linkcode RtpReorderBuffer}: bounded, wrap-safe reordering with holes
 *   skipped by size or age, and the missing sequence numbers to NACK.
 *
 * Data path: a packetizer is kept per stream and format (it owns sequence
 * number and SSRC) and copies each access unit once into one buffer whose
 * packets (views) every viewer shares; only SRTP/transport differ per viewer.
 * A depacketizer keeps views of the pushed packets until an access unit
 * completes, then writes the frame once (AVCC for H.264/H.265, low-overhead
 * OBUs for AV1; audio frames are views of their packet). Memory is bounded
 * per depacketizer by one access unit (16 MiB, 4096 units) and per reorder
 * buffer by its capacity.
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
