/**
 * The entry points that pick a payload format: {@linkcode createPacketizer}
 * by codec and {@linkcode createDepacketizer} by SDP encoding name.
 *
 * @module
 */
import type { CodecId } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { AacDepacketizer, AacPacketizer } from "./aac.ts";
import { G711Depacketizer, G711Packetizer } from "./g711.ts";
import { H264Depacketizer, H264Packetizer } from "./h264.ts";
import { H265Depacketizer, H265Packetizer } from "./h265.ts";
import { LatmDepacketizer } from "./latm.ts";
import { OpusDepacketizer, OpusPacketizer } from "./opus.ts";
import { Av1Depacketizer, Av1Packetizer } from "./av1.ts";
import { Vp8Depacketizer, Vp8Packetizer } from "./vp8.ts";
import { Vp9Depacketizer, Vp9Packetizer } from "./vp9.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/**
 * Creates the packetizer of one stream for `codec`. Keep one per stream and
 * format: its packets (sequence numbers, SSRC) are shared by every viewer.
 *
 * @param codec h264, h265, aac, opus, pcmu, pcma, vp8, vp9 or av1
 * @param options payload type, SSRC, MTU, clock rate (required for AAC: the sample rate)
 * @returns the packetizer
 * @throws {StreamError} `Unsupported` for another codec, `InvalidInput` for bad options
 *
 * @example Packetize an Opus frame
 * ```ts
 * import { createPacketizer, parseRtpPacket } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const packetizer = createPacketizer("opus", { payloadType: 111, ssrc: 7, initialSequence: 0, initialTimestamp: 0 });
 * const [bytes] = packetizer.packetize({
 *   kind: "audio", codec: "opus", trackId: 0, pts: 20, dts: 20, timescale: 1000,
 *   keyframe: true, config: false, data: new Uint8Array([0xfc, 0xff, 0xfe]),
 * });
 * const packet = parseRtpPacket(bytes!);
 * assert.equal(packet.timestamp, 960);
 * assert.equal(packet.ssrc, 7);
 * ```
 */
export function createPacketizer(
  codec: CodecId,
  options: RtpPacketizerOptions,
): RtpPacketizer {
  switch (codec) {
    case "h264":
      return new H264Packetizer(options);
    case "h265":
      return new H265Packetizer(options);
    case "aac":
      return new AacPacketizer(options);
    case "pcmu":
    case "pcma":
      return new G711Packetizer(options);
    case "vp8":
      return new Vp8Packetizer(options);
    case "vp9":
      return new Vp9Packetizer(options);
    case "av1":
      return new Av1Packetizer(options);
    case "opus":
      return new OpusPacketizer(options);
    default:
      throw new StreamError(
        "Unsupported",
        `Cannot create RTP packetizer: ${codec} is not supported (h264, h265, aac, opus, pcmu, pcma, vp8, vp9, av1)`,
      );
  }
}

/**
 * Creates the depacketizer of one received stream from its SDP format.
 *
 * @param format encoding name, clock rate, channels and fmtp (see `rtpFormatOf` in `@arcly/stream/sdp`)
 * @param options base timestamp (RTSP `RTP-Info` rtptime) and track id
 * @returns the depacketizer
 * @throws {StreamError} `Unsupported` for another encoding, `InvalidInput` for a bad fmtp
 *
 * @example Depacketize an Opus packet
 * ```ts
 * import { createDepacketizer } from "@arcly/stream/rtp";
 * import assert from "node:assert/strict";
 *
 * const depacketizer = createDepacketizer({ encodingName: "opus", clockRate: 48000, channels: 2, fmtp: {} });
 * const frames = depacketizer.push({
 *   marker: false, payloadType: 111, sequenceNumber: 1, timestamp: 5000, ssrc: 1, csrcs: [],
 *   payload: new Uint8Array([0xfc, 0xff, 0xfe]),
 * });
 * assert.deepEqual(frames.map((f) => f.config), [true, false]);
 * ```
 */
export function createDepacketizer(
  format: RtpFormat,
  options?: RtpDepacketizerOptions,
): RtpDepacketizer {
  switch (format.encodingName.toUpperCase()) {
    case "H264":
      return new H264Depacketizer(format, options);
    case "H265":
      return new H265Depacketizer(format, options);
    case "PCMU":
    case "PCMA":
      return new G711Depacketizer(format, options);
    case "VP8":
      return new Vp8Depacketizer(format, options);
    case "VP9":
      return new Vp9Depacketizer(format, options);
    case "AV1":
      return new Av1Depacketizer(format, options);
    case "MPEG4-GENERIC":
      return new AacDepacketizer(format, options);
    case "MP4A-LATM":
      return new LatmDepacketizer(format, options);
    case "OPUS":
      return new OpusDepacketizer(format, options);
    default:
      throw new StreamError(
        "Unsupported",
        `Cannot create RTP depacketizer: ${
          format.encodingName.slice(0, 32)
        } is not supported (H264, H265, MPEG4-GENERIC, MP4A-LATM, OPUS, PCMU, PCMA, VP8, VP9, AV1)`,
      );
  }
}
