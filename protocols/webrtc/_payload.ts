/**
 * The RTP payload formats WebRTC uses, all from `media/rtp` (this folder
 * writes no payload-format code): one packetizer per stream track
 * (egress), one depacketizer per received track (ingest).
 *
 * @module
 */
import {
  createDepacketizer,
  createPacketizer,
  type RtpDepacketizer,
  type RtpPacketizer,
} from "../../media/rtp/mod.ts";
import type { SdpCodec } from "./sdp_offer.ts";

/** A per-stream packetizer and the codec it packetizes. */
export interface FeedPacketizer extends RtpPacketizer {
  readonly codec: "h264" | "opus";
}

/** A packetizer for the shared feed of one track (random SSRC, sequence, timestamp). */
export function createRtpPacketizer(
  codec: "h264" | "opus",
  payloadType: number,
): FeedPacketizer {
  const p = createPacketizer(codec, { payloadType, mtu: 1200 });
  return Object.assign(p, { codec }) as FeedPacketizer;
}

/** A depacketizer for one negotiated codec of a WHIP publisher. */
export function createSdpDepacketizer(codec: SdpCodec): RtpDepacketizer {
  return createDepacketizer({
    encodingName: codec.name,
    clockRate: codec.clockRate,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    fmtp: codec.fmtp,
  });
}
