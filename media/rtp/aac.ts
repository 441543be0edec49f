// AAC over RTP as mpeg4-generic (RFC 3640), modes AAC-hbr and AAC-lbr.
//
// Packetizer (AAC-hbr): one access unit per packet with one AU header
// (13-bit size, 3-bit index 0); an AU larger than the MTU is fragmented
// (§3.2.3: every fragment carries the full AU size, the marker bit is set on
// the last one).
// Depacketizer: AU-headers-length, AU headers of `sizelength` + `indexlength`
// (first) / `indexdeltalength` (next) bits, then the AUs; several AUs per
// packet (timestamps advance by one frame duration per index step) or one
// fragmented AU across packets (reassembled, dropped when a fragment is lost).
// The config frame is the AudioSpecificConfig from the fmtp `config` (hex).
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { BitReader } from "../codec/bit_reader.ts";
import { parseAudioSpecificConfig } from "../codec/aac_config.ts";
import {
  concat,
  fmtpValue,
  MAX_UNITS_PER_FRAME,
  PacketizerBase,
  PacketWriter,
} from "./_common.ts";
import { AudioDepacketizer } from "./_audio.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/** Largest AU the 13-bit AU-size of AAC-hbr describes. */
const MAX_HBR_AU = 8191;

/** AAC (mpeg4-generic, AAC-hbr) packetizer (one per stream). */
export class AacPacketizer extends PacketizerBase implements RtpPacketizer {
  constructor(options: RtpPacketizerOptions) {
    if (options.clockRate === undefined) {
      throw new StreamError(
        "InvalidInput",
        "Cannot create AAC packetizer: clockRate (the AudioSpecificConfig sample rate) is required",
      );
    }
    super(new PacketWriter(options, options.clockRate));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    const au = frame.data;
    if (au.length === 0 || au.length > MAX_HBR_AU) {
      throw new StreamError(
        "InvalidInput",
        `Cannot packetize AAC access unit of ${au.length} bytes: AAC-hbr carries 1..${MAX_HBR_AU}`,
      );
    }
    const header = Uint8Array.of(
      0,
      16,
      au.length >> 5,
      (au.length & 0x1f) << 3,
    );
    const ts = this.w.timestampOf(frame);
    const chunk = this.w.maxPayload - 4;
    const payloads: Uint8Array[][] = [];
    for (let pos = 0; pos < au.length; pos += chunk) {
      payloads.push([header, au.subarray(pos, pos + chunk)]);
    }
    return this.w.accessUnit(payloads, ts);
  }
}

function parseHex(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2}){1,64}$/.test(hex)) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create AAC depacketizer: config "${hex.slice(0, 40)}" is not hex`,
    );
  }
  return Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
}

function intParam(
  fmtp: Record<string, string>,
  key: string,
  fallback: number,
): number {
  const v = fmtpValue(fmtp, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create AAC depacketizer: ${key}=${v.slice(0, 20)}`,
    );
  }
  return n;
}

/** AAC (mpeg4-generic) depacketizer. */
export class AacDepacketizer extends AudioDepacketizer
  implements RtpDepacketizer {
  readonly #sizeLength: number;
  readonly #indexLength: number;
  readonly #deltaLength: number;
  readonly #duration: number;
  #fragment:
    | { ts: number; size: number; parts: Uint8Array[]; have: number }
    | null = null;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    const config = fmtpValue(format.fmtp, "config");
    if (config === undefined) {
      throw new StreamError(
        "InvalidInput",
        "Cannot create AAC depacketizer: the fmtp has no config",
      );
    }
    const asc = parseHex(config);
    const info = parseAudioSpecificConfig(asc);
    super("aac", format.clockRate, asc, options);
    const lbr =
      (fmtpValue(format.fmtp, "mode") ?? "").toLowerCase() === "aac-lbr";
    this.#sizeLength = intParam(format.fmtp, "sizelength", lbr ? 6 : 13);
    this.#indexLength = intParam(format.fmtp, "indexlength", lbr ? 2 : 3);
    this.#deltaLength = intParam(format.fmtp, "indexdeltalength", lbr ? 2 : 3);
    if (this.#sizeLength === 0) {
      throw new StreamError(
        "Unsupported",
        "Cannot create AAC depacketizer: sizelength 0 (constant size AUs) is not supported",
      );
    }
    this.#duration = Math.round(
      info.frameLength * format.clockRate / info.sampleRate,
    );
  }

  #afterGap = false;
  /** Timestamp of a fragmented AU whose start may have been lost: skipped. */
  #skipTs: number | undefined;

  protected override lost(): void {
    if (this.#fragment !== null) {
      this.#fragment = null;
      this.core.droppedFrames++;
    }
    this.#afterGap = true;
  }

  protected payload(packet: RtpPacket, out: MediaFrame[]): void {
    const p = packet.payload;
    if (p.length < 2) {
      this.core.droppedFrames++;
      return;
    }
    const headerBits = (p[0]! << 8) | p[1]!;
    const dataStart = 2 + Math.ceil(headerBits / 8);
    if (dataStart > p.length || headerBits === 0) {
      this.core.droppedFrames++;
      return;
    }
    const r = new BitReader(p.subarray(2, dataStart));
    const sizes: number[] = [];
    const indexes: number[] = [];
    let index = 0;
    while (r.bitPosition < headerBits && sizes.length < MAX_UNITS_PER_FRAME) {
      const first = sizes.length === 0;
      const need = this.#sizeLength +
        (first ? this.#indexLength : this.#deltaLength);
      if (headerBits - r.bitPosition < need) break;
      sizes.push(r.readBits(this.#sizeLength));
      const i = r.readBits(first ? this.#indexLength : this.#deltaLength);
      index = first ? i : index + i + 1;
      indexes.push(index);
    }
    const data = p.subarray(dataStart);
    if (this.#afterGap) {
      this.#afterGap = false;
      // a fragment right after a loss may be a continuation: drop its AU
      if (sizes.length === 1 && sizes[0]! > data.length) {
        this.#skipTs = packet.timestamp;
      }
    }
    if (this.#skipTs !== undefined) {
      if (this.#skipTs === packet.timestamp) {
        if (packet.marker) this.core.droppedFrames++;
        return;
      }
      this.#skipTs = undefined;
    }
    const frag = this.#fragment;
    if (frag !== null) {
      if (
        frag.ts === packet.timestamp && sizes.length === 1 &&
        sizes[0] === frag.size
      ) {
        const take = Math.min(data.length, frag.size - frag.have);
        frag.parts.push(data.subarray(0, take));
        frag.have += take;
        if (frag.have === frag.size || packet.marker) {
          this.#fragment = null;
          if (frag.have === frag.size) {
            out.push(
              this.media(
                concat(frag.parts, frag.size),
                this.core.timeline.pts(frag.ts),
              ),
            );
          } else this.core.droppedFrames++;
        }
        return;
      }
      this.#fragment = null;
      this.core.droppedFrames++;
    }
    if (sizes.length === 0) {
      this.core.droppedFrames++;
      return;
    }
    if (sizes.length === 1 && sizes[0]! > data.length) {
      if (packet.marker) {
        this.core.droppedFrames++;
        return;
      }
      this.#fragment = {
        ts: packet.timestamp,
        size: sizes[0]!,
        parts: [data],
        have: data.length,
      };
      return;
    }
    const base = this.core.timeline.pts(packet.timestamp);
    let pos = 0;
    for (let k = 0; k < sizes.length; k++) {
      const size = sizes[k]!;
      if (pos + size > data.length) {
        this.core.droppedFrames++;
        return;
      }
      if (size > 0) {
        out.push(
          this.media(
            data.subarray(pos, pos + size),
            base + (indexes[k]! - indexes[0]!) * this.#duration,
          ),
        );
      }
      pos += size;
    }
  }
}
