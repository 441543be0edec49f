// Opus RTP payload format (RFC 7587): one Opus packet per RTP packet, 48 kHz
// RTP clock whatever the coded bandwidth, marker bit unused. The config frame
// is an OpusHead (RFC 7845) with the channel count of the SDP (2 unless
// `sprop-stereo=0` says the sender sends mono) and no pre-skip.
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { buildOpusHead } from "../codec/opus_head.ts";
import { fmtpValue, PacketWriter } from "./_common.ts";
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
export class OpusPacketizer implements RtpPacketizer {
  readonly #w: PacketWriter;

  constructor(options: RtpPacketizerOptions) {
    this.#w = new PacketWriter(options, options.clockRate ?? 48000);
  }

  get clockRate(): number {
    return this.#w.clockRate;
  }
  get ssrc(): number {
    return this.#w.ssrc;
  }
  get sequenceNumber(): number {
    return this.#w.sequenceNumber;
  }
  get lastTimestamp(): number {
    return this.#w.lastTimestamp;
  }
  get stats(): { packets: number; octets: number } {
    return { packets: this.#w.packets, octets: this.#w.octets };
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    if (frame.data.length > this.#w.maxPayload) {
      throw new StreamError(
        "LimitExceeded",
        `Cannot packetize Opus packet of ${frame.data.length} bytes: the MTU leaves ${this.#w.maxPayload}`,
      );
    }
    return [this.#w.packet([frame.data], false, this.#w.timestampOf(frame))];
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
