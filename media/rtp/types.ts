/**
 * The RTP payload-format interfaces shared by every codec: packetizers turn
 * {@linkcode MediaFrame}s into RTP packets, depacketizers turn packets back
 * into frames.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import type { RtpPacket } from "./rtp_packet.ts";

/**
 * Options of {@linkcode RtpPacketizer} (see `createPacketizer`).
 *
 * @example
 * ```ts
 * import type { RtpPacketizerOptions } from "@arcly/stream/rtp";
 * const options: RtpPacketizerOptions = { payloadType: 96, ssrc: 0x1234, mtu: 1200 };
 * ```
 */
export interface RtpPacketizerOptions {
  /** RTP payload type (0..127). */
  payloadType: number;
  /** Synchronization source; default random. */
  ssrc?: number;
  /** Maximum RTP packet size in bytes (header included); default 1200. */
  mtu?: number;
  /** RTP clock rate; default the codec's (90000 video, 48000 Opus, the AAC sample rate). */
  clockRate?: number;
  /** First sequence number; default random. */
  initialSequence?: number;
  /** RTP timestamp of pts 0; default random (RFC 3550 §5.1). */
  initialTimestamp?: number;
}

/**
 * A per-stream packetizer: keeps the sequence number and SSRC so the packets
 * it returns can be shared by every viewer of the stream.
 *
 * @example
 * ```ts
 * import { createPacketizer } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const packetizer = createPacketizer("opus", { payloadType: 111, initialSequence: 10 });
 * assert.equal(packetizer.clockRate, 48000);
 * assert.equal(packetizer.sequenceNumber, 10);
 * ```
 */
export interface RtpPacketizer {
  /** RTP clock rate of the timestamps it writes. */
  readonly clockRate: number;
  /** SSRC written in every packet. */
  readonly ssrc: number;
  /**
   * Packetizes one frame into complete RTP packets; `[]` for a config frame
   * (remembered: parameter sets are sent before each keyframe).
   */
  packetize(frame: MediaFrame): Uint8Array[];
  /** The next sequence number to be written. */
  readonly sequenceNumber: number;
  /** The RTP timestamp of the last packet written (for RTCP sender reports). */
  readonly lastTimestamp: number;
  /** Packets and payload bytes written (RTCP sender report counts). */
  readonly stats: { readonly packets: number; readonly octets: number };
  /**
   * The RTP timestamp this packetizer writes for `pts` ticks of `timescale`
   * (RTSP `RTP-Info` rtptime, RTCP sender reports).
   */
  rtpTimestamp(pts: number, timescale: number): number;
}

/**
 * What a depacketizer needs to know about a stream: the SDP `rtpmap` and
 * `fmtp` of one payload type.
 *
 * @example
 * ```ts
 * import type { RtpFormat } from "@arcly/stream/rtp";
 * const format: RtpFormat = { encodingName: "H264", clockRate: 90000, fmtp: { "packetization-mode": "1" } };
 * ```
 */
export interface RtpFormat {
  /** "H264", "H265", "MPEG4-GENERIC", "MP4A-LATM", "OPUS", "PCMU", "PCMA", "VP8", "VP9", "AV1" (case-insensitive). */
  encodingName: string;
  /** RTP clock rate. */
  clockRate: number;
  /** Audio channels (rtpmap encoding parameters). */
  channels?: number;
  /** fmtp parameters (keys compared case-insensitively). */
  fmtp: Record<string, string>;
}

/**
 * Options of a depacketizer.
 *
 * @example
 * ```ts
 * import type { RtpDepacketizerOptions } from "@arcly/stream/rtp";
 * const options: RtpDepacketizerOptions = { baseTimestamp: 123456, trackId: 0 };
 * ```
 */
export interface RtpDepacketizerOptions {
  /**
   * The RTP timestamp that maps to the start of the timeline (RTSP `RTP-Info`
   * `rtptime`, so that tracks stay in sync); default the first packet's.
   */
  baseTimestamp?: number;
  /** `trackId` of the frames; default 0. */
  trackId?: number;
}

/**
 * Depacketizer counters.
 *
 * @example
 * ```ts
 * import type { RtpDepacketizerStats } from "@arcly/stream/rtp";
 * const stats: RtpDepacketizerStats = { packets: 10, lost: 1, late: 0, droppedFrames: 2 };
 * ```
 */
export interface RtpDepacketizerStats {
  /** Packets pushed. */
  readonly packets: number;
  /** Packets missing from the sequence. */
  readonly lost: number;
  /** Packets behind the sequence (reordered too late or duplicated), ignored. */
  readonly late: number;
  /** Frames not emitted: broken by loss, waiting for a keyframe or a config, or over the size limit. */
  readonly droppedFrames: number;
}

/**
 * A per-stream depacketizer: push packets in sequence order (see
 * `RtpReorderBuffer`), get complete frames.
 *
 * @example
 * ```ts
 * import { createDepacketizer } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const depacketizer = createDepacketizer({ encodingName: "OPUS", clockRate: 48000, channels: 2, fmtp: {} });
 * assert.equal(depacketizer.stats.packets, 0);
 * ```
 */
export interface RtpDepacketizer {
  /**
   * Completed frames; config frames first when parameters appear or change.
   * Packets must come in sequence order. The depacketizer keeps views of a
   * packet's payload until its access unit completes, and audio/VP8/VP9
   * frames may be views of it: pass packets whose bytes are never reused.
   */
  push(packet: RtpPacket): MediaFrame[];
  /** Counters. */
  readonly stats: RtpDepacketizerStats;
}
