/**
 * Audio elementary streams of the demuxer: AAC in ADTS, MPEG audio (MP3) and
 * Opus (opus_control_header framing) — one PES in, one frame per audio
 * access unit out.
 *
 * Specification: ISO/IEC 13818-7 §6.2 (ADTS) and ISO/IEC 14496-3 §1.6.2.1
 * (AudioSpecificConfig); ISO/IEC 11172-3 §2.4.2.3 and ISO/IEC 13818-3 §2.4
 * (MPEG audio header: bitrate, sampling rate, padding, frame length); ETSI
 * TS 102 366 style "Opus in MPEG-2 TS" (opus_control_header, registration
 * descriptor "Opus", channel_config_code) and RFC 6716 §3.1 (TOC: frame
 * duration and count).
 *
 * Timestamps: the k-th frame starting in a PES gets
 * `pesPts + round(samplesBefore * 90000 / rate)`, computed from the absolute
 * PES timestamp each time, so nothing accumulates. ADTS and MPEG audio frames
 * split across PES packets are carried over (at most one frame, ≤ 8 KiB).
 *
 * Data path: each PES payload the demuxer hands over is sliced once; the
 * frames are views of that copy.
 *
 * @module
 */
import type { CodecId, MediaFrame } from "../frame.ts";
import {
  AAC_SAMPLE_RATES,
  buildAudioSpecificConfig,
  buildOpusHead,
} from "../codec/mod.ts";

/** What happened to one PES. */
export type AudioResult = "ok" | "malformed";

/** The header facts the framed parsers need. */
interface FrameHeader {
  frameLength: number;
  headerLength: number;
  samples: number;
  sampleRate: number;
  /** Changes when the decoder configuration changes. */
  key: number;
  objectType: number;
  channels: number;
}

/** ISO/IEC 13818-7 §6.2; undefined unless a valid single-block header. */
function adtsHeader(b: Uint8Array, p: number): FrameHeader | undefined {
  if (p + 7 > b.length || b[p] !== 0xff || (b[p + 1]! & 0xf6) !== 0xf0) {
    return undefined;
  }
  const index = (b[p + 2]! >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[index];
  const headerLength = (b[p + 1]! & 1) === 1 ? 7 : 9;
  const frameLength = ((b[p + 3]! & 3) << 11) | (b[p + 4]! << 3) |
    (b[p + 5]! >> 5);
  if (sampleRate === undefined || index > 12 || frameLength < headerLength) {
    return undefined;
  }
  if ((b[p + 6]! & 3) !== 0) return undefined; // several raw blocks: no split without CRCs
  const objectType = (b[p + 2]! >> 6) + 1;
  const channels = ((b[p + 2]! & 1) << 2) | (b[p + 3]! >> 6);
  return {
    frameLength,
    headerLength,
    samples: 1024,
    sampleRate,
    key: (objectType << 8) | (index << 4) | channels,
    objectType,
    channels,
  };
}

const MPEG1_BITRATES = [
  [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const MPEG2_BITRATES = [
  [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const MPEG_RATES = [44100, 48000, 32000];

/** ISO/IEC 11172-3 §2.4.2.3 / 13818-3; free format is not supported. */
function mpegAudioHeader(b: Uint8Array, p: number): FrameHeader | undefined {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1]! & 0xe0) !== 0xe0) {
    return undefined;
  }
  const version = (b[p + 1]! >> 3) & 3; // 0 MPEG-2.5, 2 MPEG-2, 3 MPEG-1
  const layer = 4 - ((b[p + 1]! >> 1) & 3); // 1, 2, 3 (4 = reserved)
  const bitrateIndex = b[p + 2]! >> 4;
  const rateIndex = (b[p + 2]! >> 2) & 3;
  if (
    version === 1 || layer === 4 || bitrateIndex === 0 ||
    bitrateIndex === 15 || rateIndex === 3
  ) return undefined;
  const mpeg1 = version === 3;
  const table = mpeg1
    ? MPEG1_BITRATES[layer - 1]!
    : MPEG2_BITRATES[layer === 1 ? 0 : 1]!;
  const bitrate = table[bitrateIndex - 1]! * 1000;
  const sampleRate = MPEG_RATES[rateIndex]! /
    (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b[p + 2]! >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && !mpeg1 ? 576 : 1152;
  const frameLength = layer === 1
    ? (Math.floor(12 * bitrate / sampleRate) + padding) * 4
    : Math.floor(samples / 8 * bitrate / sampleRate) + padding;
  const channels = (b[p + 3]! >> 6) === 3 ? 1 : 2;
  return {
    frameLength,
    headerLength: 4,
    samples,
    sampleRate,
    key: (version << 8) | (layer << 4) | rateIndex,
    objectType: 0,
    channels,
  };
}

/** Framed audio (AAC ADTS or MPEG audio), with carry-over across PES. */
export class FramedAudioEs {
  readonly codec: "aac" | "mp3";
  readonly trackId: number;
  readonly #header: (b: Uint8Array, p: number) => FrameHeader | undefined;
  #configKey = -1;
  #carry: Uint8Array | undefined;
  #carryPts = 0;
  #carryHeader: FrameHeader | undefined;
  /** PTS the next frame would have (for a PES without PTS), or NaN. */
  #nextPts = NaN;

  /**
   * @param codec aac or mp3
   * @param trackId the frame trackId
   */
  constructor(codec: "aac" | "mp3", trackId: number) {
    this.codec = codec;
    this.trackId = trackId;
    this.#header = codec === "aac" ? adtsHeader : mpegAudioHeader;
  }

  /** Damage upstream: drop a partial frame carried over. */
  damage(): void {
    this.#carry = undefined;
    this.#nextPts = NaN;
  }

  /**
   * Split one PES payload into frames.
   *
   * @param es the PES payload (a view; copied here)
   * @param pesPts unwrapped PTS, or NaN when the PES had none
   * @param out receives the frames (and a config frame when it changed)
   * @returns "malformed" when a header was bad (the rest of the PES is dropped)
   */
  pes(es: Uint8Array, pesPts: number, out: MediaFrame[]): AudioResult {
    const bytes = es.slice();
    let pos = 0;
    if (this.#carry !== undefined) {
      const header = this.#carryHeader!;
      const need = header.frameLength - this.#carry.length;
      if (need > bytes.length) {
        const joined = new Uint8Array(this.#carry.length + bytes.length);
        joined.set(this.#carry);
        joined.set(bytes, this.#carry.length);
        this.#carry = joined;
        return "ok";
      }
      const whole = new Uint8Array(header.frameLength);
      whole.set(this.#carry);
      whole.set(bytes.subarray(0, need), this.#carry.length);
      this.#carry = undefined;
      this.#emit(whole, 0, header, this.#carryPts, out);
      pos = need;
    }
    const base = Number.isNaN(pesPts) ? this.#nextPts : pesPts;
    if (Number.isNaN(base)) return "malformed";
    let samples = 0;
    while (pos < bytes.length) {
      const header = this.#header(bytes, pos);
      if (header === undefined) return "malformed";
      const pts = base + Math.round(samples * 90000 / header.sampleRate);
      samples += header.samples;
      this.#nextPts = base + Math.round(samples * 90000 / header.sampleRate);
      if (pos + header.frameLength > bytes.length) {
        this.#carry = bytes.subarray(pos);
        this.#carryHeader = header;
        this.#carryPts = pts;
        return "ok";
      }
      this.#emit(bytes, pos, header, pts, out);
      pos += header.frameLength;
    }
    return "ok";
  }

  #emit(
    bytes: Uint8Array,
    pos: number,
    header: FrameHeader,
    pts: number,
    out: MediaFrame[],
  ): void {
    const aac = this.codec === "aac";
    if (aac && header.key !== this.#configKey) {
      this.#configKey = header.key;
      out.push(this.#frame(
        pts,
        true,
        buildAudioSpecificConfig({
          objectType: header.objectType,
          sampleRate: header.sampleRate,
          channelConfiguration: header.channels,
        }),
      ));
    }
    const start = aac ? pos + header.headerLength : pos;
    out.push(
      this.#frame(pts, false, bytes.subarray(start, pos + header.frameLength)),
    );
  }

  #frame(pts: number, config: boolean, data: Uint8Array): MediaFrame {
    const codec: CodecId = this.codec;
    return {
      kind: "audio",
      codec,
      trackId: this.trackId,
      pts,
      dts: pts,
      timescale: 90000,
      keyframe: true,
      config,
      data,
    };
  }
}

/** Samples at 48 kHz per frame for each TOC config (RFC 6716 §3.1). */
const OPUS_FRAME_SAMPLES = [480, 960, 1920, 2880];
const CELT_FRAME_SAMPLES = [120, 240, 480, 960];

/** Duration of an Opus packet in 48 kHz samples (RFC 6716 §3.1); 0 if unreadable. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  const frame = config < 12
    ? OPUS_FRAME_SAMPLES[config & 3]!
    : config < 16
    ? (config & 1) === 0 ? 480 : 960
    : CELT_FRAME_SAMPLES[config & 3]!;
  const code = toc & 3;
  if (code === 0) return frame;
  if (code !== 3) return 2 * frame;
  return packet.length < 2 ? 0 : (packet[1]! & 0x3f) * frame;
}

/** Vorbis channel order for 3–8 channels: [streams, coupled, mapping…]. */
const OPUS_LAYOUTS: Record<number, number[]> = {
  3: [2, 1, 0, 2, 1],
  4: [2, 2, 0, 1, 2, 3],
  5: [3, 2, 0, 4, 1, 2, 3],
  6: [4, 2, 0, 4, 1, 2, 3, 5],
  7: [4, 3, 0, 4, 1, 2, 3, 5, 6],
  8: [5, 3, 0, 6, 1, 2, 3, 4, 5, 7],
};

/**
 * The OpusHead for a channel_config_code (extension descriptor tag 0x80);
 * codes above 8 (explicit mappings) fall back to stereo.
 *
 * @param channelConfigCode the code, or undefined (stereo)
 * @returns the OpusHead bytes (pre-skip unknown in TS: 0)
 */
export function opusHeadForCode(
  channelConfigCode: number | undefined,
): Uint8Array {
  const channels = channelConfigCode !== undefined && channelConfigCode >= 1 &&
      channelConfigCode <= 8
    ? channelConfigCode
    : 2;
  const layout = OPUS_LAYOUTS[channels];
  return buildOpusHead({
    channels,
    preSkip: 0,
    inputSampleRate: 48000,
    outputGain: 0,
    mappingFamily: layout === undefined ? 0 : 1,
    streamCount: layout?.[0] ?? 1,
    coupledCount: layout?.[1] ?? (channels === 2 ? 1 : 0),
    channelMapping: new Uint8Array(layout?.slice(2) ?? []),
  });
}

/** Opus access units: opus_control_header + packet, repeated. */
export class OpusEs {
  readonly codec: "opus" = "opus";
  readonly trackId: number;
  #head: Uint8Array;
  #sentHead = false;
  #nextPts = NaN;

  /**
   * @param trackId the frame trackId
   * @param head the OpusHead to send before the first packet
   */
  constructor(trackId: number, head: Uint8Array) {
    this.trackId = trackId;
    this.#head = head;
  }

  /** Damage upstream: forget the predicted timestamp. */
  damage(): void {
    this.#nextPts = NaN;
  }

  /**
   * Split one PES payload into Opus packets.
   *
   * @param es the PES payload (copied here)
   * @param pesPts unwrapped PTS, or NaN when the PES had none
   * @param out receives the frames
   * @returns "malformed" when a control header is bad or truncated
   */
  pes(es: Uint8Array, pesPts: number, out: MediaFrame[]): AudioResult {
    const base = Number.isNaN(pesPts) ? this.#nextPts : pesPts;
    if (Number.isNaN(base)) return "malformed";
    const bytes = es.slice();
    let samples = 0;
    for (let pos = 0; pos < bytes.length;) {
      if (
        pos + 2 > bytes.length || bytes[pos] !== 0x7f ||
        (bytes[pos + 1]! & 0xe0) !== 0xe0
      ) return "malformed";
      const flags = bytes[pos + 1]!;
      pos += 2;
      let size = 0;
      for (;;) {
        if (pos >= bytes.length) return "malformed";
        const b = bytes[pos++]!;
        size += b;
        if (b !== 255) break;
      }
      if ((flags & 0x10) !== 0) pos += 2; // start_trim
      if ((flags & 0x08) !== 0) pos += 2; // end_trim
      if ((flags & 0x04) !== 0) {
        if (pos >= bytes.length) return "malformed";
        pos += 1 + bytes[pos]!;
      }
      if (pos + size > bytes.length) return "malformed";
      const packet = bytes.subarray(pos, pos + size);
      pos += size;
      const pts = base + Math.round(samples * 90000 / 48000);
      samples += opusPacketSamples(packet);
      this.#nextPts = base + Math.round(samples * 90000 / 48000);
      if (!this.#sentHead) {
        this.#sentHead = true;
        out.push(this.#frame(pts, true, this.#head));
      }
      out.push(this.#frame(pts, false, packet));
    }
    return "ok";
  }

  #frame(pts: number, config: boolean, data: Uint8Array): MediaFrame {
    return {
      kind: "audio",
      codec: "opus",
      trackId: this.trackId,
      pts,
      dts: pts,
      timescale: 90000,
      keyframe: true,
      config,
      data,
    };
  }
}
