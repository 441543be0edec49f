// G.711 µ-law (PCMU) and A-law (PCMA) over RTP (RFC 3551 §4.5.14): one byte
// per sample at 8 kHz, static payload types 0 and 8. Every packet is one
// frame (codec "pcmu"/"pcma", no config frame); the packetizer splits a frame
// into MTU-sized packets with timestamps advanced by the samples before them.
import type { MediaFrame } from "../frame.ts";
import { PacketizerBase, PacketWriter } from "./_common.ts";
import { AudioDepacketizer } from "./_audio.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/** G.711 packetizer (one per stream). */
export class G711Packetizer extends PacketizerBase implements RtpPacketizer {
  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 8000));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    const ts = this.w.timestampOf(frame);
    const out: Uint8Array[] = [];
    const max = this.w.maxPayload;
    for (let pos = 0; pos < frame.data.length; pos += max) {
      out.push(
        this.w.packet(
          [frame.data.subarray(pos, pos + max)],
          pos === 0,
          (ts + pos) >>> 0,
        ),
      );
    }
    return out;
  }
}

/** G.711 depacketizer. */
export class G711Depacketizer extends AudioDepacketizer
  implements RtpDepacketizer {
  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super(
      format.encodingName.toUpperCase() === "PCMA" ? "pcma" : "pcmu",
      format.clockRate,
      undefined,
      options,
    );
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
