// Base of the audio depacketizers: sequence checking, the timeline, and a
// config frame emitted once before the first media frame.
import type { CodecId, MediaFrame } from "../frame.ts";
import { DepacketizerCore } from "./_common.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type { RtpDepacketizerOptions, RtpDepacketizerStats } from "./types.ts";

/** Base of the audio depacketizers. */
export abstract class AudioDepacketizer {
  protected readonly core: DepacketizerCore;
  #config: Uint8Array | undefined;

  constructor(
    codec: CodecId,
    clockRate: number,
    config: Uint8Array | undefined,
    options?: RtpDepacketizerOptions,
  ) {
    this.core = new DepacketizerCore(codec, "audio", clockRate, options);
    this.#config = config;
  }

  get stats(): RtpDepacketizerStats {
    return this.core.stats;
  }

  push(packet: RtpPacket): MediaFrame[] {
    const core = this.core;
    core.packets++;
    const check = core.sequence.check(packet.sequenceNumber);
    if (check === "late") return [];
    if (check === "gap") this.lost();
    const out: MediaFrame[] = [];
    this.payload(packet, out);
    if (out.length > 0 && this.#config !== undefined) {
      const first = out[0]!;
      out.unshift(core.frame(this.#config, first.pts, first.dts, true, true));
      this.#config = undefined;
    }
    return out;
  }

  /** Media frame at `pts` (audio: dts = pts, always a keyframe). */
  protected media(data: Uint8Array, pts: number): MediaFrame {
    return this.core.frame(data, pts, pts, true, false);
  }

  /** Called on a sequence gap before the packet after it. */
  protected lost(): void {}

  /** Appends the frames of one packet. */
  protected abstract payload(packet: RtpPacket, out: MediaFrame[]): void;
}
