// Opus RTP payload format (RFC 7587): one Opus packet per RTP packet, 48 kHz
// RTP clock whatever the coded bandwidth, marker bit unused. The config frame
// is an OpusHead (RFC 7845) with the channel count of the SDP (2 unless
// `sprop-stereo=0` says the sender sends mono) and no pre-skip.
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { buildOpusHead } from "../codec/opus_head.ts";
import { fmtpValue, PacketizerBase, PacketWriter } from "./_common.ts";
import { AudioDepacketizer } from "./_audio.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/** Opus packetizer (one per stream). */
export class OpusPacketizer extends PacketizerBase implements RtpPacketizer {
  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 48000));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    if (frame.data.length > this.w.maxPayload) {
      throw new StreamError(
        "LimitExceeded",
        `Cannot packetize Opus packet of ${frame.data.length} bytes: the MTU leaves ${this.w.maxPayload}`,
      );
    }
    return [this.w.packet([frame.data], false, this.w.timestampOf(frame))];
  }
}

/** Opus depacketizer. */
export class OpusDepacketizer extends AudioDepacketizer
  implements RtpDepacketizer {
  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    const mono = fmtpValue(format.fmtp, "sprop-stereo") === "0";
    const channels = mono ? 1 : 2;
    const head = buildOpusHead({
      channels,
      preSkip: 0,
      inputSampleRate: 48000,
      outputGain: 0,
      mappingFamily: 0,
      streamCount: 1,
      coupledCount: channels - 1,
      channelMapping: new Uint8Array(0),
    });
    super("opus", format.clockRate, head, options);
  }

  protected payload(packet: RtpPacket, out: MediaFrame[]): void {
    if (packet.payload.length === 0) {
      this.core.droppedFrames++;
      return;
    }
    out.push(
      this.media(packet.payload, this.core.timeline.pts(packet.timestamp)),
    );
  }
}
