// AAC over RTP as MP4A-LATM (RFC 6416 §6.1, ISO/IEC 14496-3 §1.7.3), the
// format GStreamer's rtpmp4apay and many cameras use. Supported: cpresent=0
// with the StreamMuxConfig in the fmtp `config` (hex), audioMuxVersion 0, one
// program and one layer; an AudioMuxElement may span packets (marker on the
// last) and carry numSubFrames + 1 AUs (each with its PayloadLengthInfo).
// The config frame is the AudioSpecificConfig found in the StreamMuxConfig.
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { BitReader } from "../codec/bit_reader.ts";
import {
  buildAudioSpecificConfig,
  parseAudioSpecificConfig,
} from "../codec/aac_config.ts";
import { concat, fmtpValue, MAX_FRAME_BYTES } from "./_common.ts";
import { AudioDepacketizer } from "./_audio.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
} from "./types.ts";

function unsupported(why: string): StreamError {
  return new StreamError(
    "Unsupported",
    `Cannot create MP4A-LATM depacketizer: ${why}`,
  );
}

/** The StreamMuxConfig fields we use and the AudioSpecificConfig it holds. */
function parseStreamMuxConfig(
  hex: string,
): { subFrames: number; asc: Uint8Array } {
  if (!/^([0-9a-fA-F]{2}){3,64}$/.test(hex)) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create MP4A-LATM depacketizer: config "${
        hex.slice(0, 40)
      }" is not hex`,
    );
  }
  const bytes = Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
  const r = new BitReader(bytes);
  if (r.readBits(1) !== 0) throw unsupported("audioMuxVersion 1");
  r.skip(1); // allStreamsSameTimeFraming
  const subFrames = r.readBits(6) + 1;
  if (r.readBits(4) !== 0 || r.readBits(3) !== 0) {
    throw unsupported("more than one program or layer");
  }
  // the AudioSpecificConfig starts at bit 15: realign it to a byte boundary
  const aligned = new Uint8Array(bytes.length);
  for (let i = 0; r.bitsLeft >= 8; i++) aligned[i] = r.readBits(8);
  const info = parseAudioSpecificConfig(aligned);
  const asc = buildAudioSpecificConfig({
    objectType: info.objectType,
    sampleRate: info.sampleRate,
    channelConfiguration: info.channelConfiguration,
  });
  return { subFrames, asc };
}

/** MP4A-LATM depacketizer. */
export class LatmDepacketizer extends AudioDepacketizer
  implements RtpDepacketizer {
  readonly #subFrames: number;
  readonly #duration: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #ts: number | undefined;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    const cpresent = fmtpValue(format.fmtp, "cpresent") ?? "1";
    if (cpresent !== "0") {
      throw unsupported("in-band StreamMuxConfig (cpresent=1)");
    }
    const config = fmtpValue(format.fmtp, "config");
    if (config === undefined) {
      throw new StreamError(
        "InvalidInput",
        "Cannot create MP4A-LATM depacketizer: the fmtp has no config",
      );
    }
    const { subFrames, asc } = parseStreamMuxConfig(config);
    const info = parseAudioSpecificConfig(asc);
    super("aac", format.clockRate, asc, options);
    this.#subFrames = subFrames;
    this.#duration = Math.round(
      info.frameLength * format.clockRate / info.sampleRate,
    );
  }

  /** After a loss, packets up to the next marker may be the tail of a broken element. */
  #skipToMarker = false;

  protected override lost(): void {
    if (this.#size > 0) this.core.droppedFrames++;
    this.#reset(undefined);
    this.#skipToMarker = true;
  }

  #reset(ts: number | undefined): void {
    this.#parts = [];
    this.#size = 0;
    this.#ts = ts;
  }

  protected payload(packet: RtpPacket, out: MediaFrame[]): void {
    if (this.#skipToMarker) {
      if (packet.marker) this.#skipToMarker = false;
      this.core.droppedFrames++;
      return;
    }
    if (this.#ts !== packet.timestamp) {
      if (this.#size > 0) this.core.droppedFrames++;
      this.#reset(packet.timestamp);
    }
    this.#parts.push(packet.payload);
    this.#size += packet.payload.length;
    if (this.#size > MAX_FRAME_BYTES) {
      this.core.droppedFrames++;
      this.#reset(undefined);
      return;
    }
    if (!packet.marker) return;
    const element = concat(this.#parts, this.#size);
    this.#reset(undefined);
    const pts = this.core.timeline.pts(packet.timestamp);
    let pos = 0;
    for (let k = 0; k < this.#subFrames && pos < element.length; k++) {
      let length = 0;
      for (;;) {
        if (pos >= element.length) {
          this.core.droppedFrames++;
          return;
        }
        const b = element[pos++]!;
        length += b;
        if (b !== 255) break;
      }
      if (length === 0 || pos + length > element.length) {
        this.core.droppedFrames++;
        return;
      }
      out.push(
        this.media(
          element.subarray(pos, pos + length),
          pts + k * this.#duration,
        ),
      );
      pos += length;
    }
  }
}
