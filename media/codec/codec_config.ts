/**
 * The single dispatch entry for the kernel, muxers and playlists:
 * {@linkcode parseCodecConfig} turns any supported config frame into stream
 * metadata and its codec string, {@linkcode isRandomAccess} classifies media
 * frames, and {@linkcode codecString} is the shortcut for playlists.
 *
 * Data path: each call parses only the frame's own bytes (config records are
 * small; media-frame classification reads NAL/OBU/frame headers in place) and
 * keeps no state. Payload formats follow the table in `media/frame.ts`.
 *
 * @module
 */
import type { CodecId, MediaFrame } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import { parseAudioSpecificConfig } from "./aac_config.ts";
import { isAv1KeyFrame, splitAv1Obus } from "./av1_obu.ts";
import {
  parseAv1DecoderConfig,
  parseAv1SequenceHeader,
} from "./av1_sequence_header.ts";
import { parseAvcDecoderConfig } from "./avc_decoder_config.ts";
import {
  aacCodecString,
  av1CodecString,
  avcCodecString,
  hevcCodecString,
  vp9CodecString,
  vvcCodecString,
} from "./codec_string.ts";
import { isH264RandomAccess } from "./h264_nal.ts";
import { parseH264Sps } from "./h264_sps.ts";
import { isH265RandomAccess } from "./h265_nal.ts";
import { parseH265Sps } from "./h265_sps.ts";
import { parseHevcDecoderConfig } from "./hevc_decoder_config.ts";
import { OPUS_SAMPLE_RATE, parseOpusHead } from "./opus_head.ts";
import { isVp9KeyFrame, parseVp9DecoderConfig } from "./vp9.ts";
import {
  isVvcRandomAccess,
  parseVvcDecoderConfig,
  parseVvcSps,
} from "./vvc.ts";

/**
 * Stream metadata extracted from a config frame.
 *
 * @example Read metadata
 * ```ts
 * import type { CodecConfigInfo } from "@arcly/stream/codec";
 * const info: CodecConfigInfo = { codec: "aac", codecString: "mp4a.40.2", sampleRate: 44100, channels: 2 };
 * ```
 */
export interface CodecConfigInfo {
  /** The codec. */
  codec: CodecId;
  /** RFC 6381 codec string (HLS CODECS, MSE). */
  codecString: string;
  /** Display width in pixels. */
  width?: number;
  /** Display height in pixels. */
  height?: number;
  /** Frames per second, when the bitstream signals timing. */
  frameRate?: number;
  /** Luma bit depth. */
  bitDepth?: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat?: number;
  /** profile_idc / general_profile_idc / seq_profile / VP9 profile / audio object type. */
  profile?: number;
  /** level_idc / general_level_idc / seq_level_idx / VP9 level × 10. */
  level?: number;
  /** Output sample rate in Hz. */
  sampleRate?: number;
  /** Output channel count. */
  channels?: number;
}

/** Codecs {@linkcode parseCodecConfig} understands. */
const CONFIG_CODECS = "h264, h265, vvc, av1, vp9, aac, opus";

/**
 * Parses a config frame (avcC, hvcC, vvcC, av1C, vpcC, AudioSpecificConfig,
 * OpusHead) into stream metadata and its codec string. The record itself must
 * parse; when a parameter set inside it (SPS, sequence header) does not, the
 * fields it would add (size, bit depth, frame rate) are left out instead.
 *
 * @param frame a frame with `config: true`
 * @returns the metadata
 * @throws {BitstreamError} when the record is malformed (or an avcC has no SPS)
 * @throws {StreamError} `Unsupported` for codecs without a config record (mp3, amf0)
 *
 * @example An AAC sequence header
 * ```ts
 * import { parseCodecConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const info = parseCodecConfig({
 *   kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]),
 * });
 * assert.deepEqual(info, { codec: "aac", codecString: "mp4a.40.2", profile: 2, sampleRate: 44100, channels: 2 });
 * ```
 */
export function parseCodecConfig(frame: MediaFrame): CodecConfigInfo {
  const data = frame.data;
  switch (frame.codec) {
    case "h264": {
      const avcC = parseAvcDecoderConfig(data);
      const base: CodecConfigInfo = {
        codec: "h264",
        codecString: avcCodecString(avcC),
        profile: avcC.profile,
        level: avcC.level,
      };
      const spsUnit = first(avcC.sps, "avcC has no SPS");
      const sps = attempt(() => parseH264Sps(spsUnit));
      if (sps === undefined) return base;
      return withRate({
        ...base,
        width: sps.width,
        height: sps.height,
        bitDepth: sps.bitDepthLuma,
        chromaFormat: sps.chromaFormat,
      }, sps.frameRate);
    }
    case "h265": {
      const hvcC = parseHevcDecoderConfig(data);
      const spsUnit = hvcC.arrays.find((a) => a.nalType === 33)?.nalus[0];
      const base: CodecConfigInfo = {
        codec: "h265",
        codecString: hevcCodecString(hvcC),
        bitDepth: hvcC.bitDepthLuma,
        chromaFormat: hvcC.chromaFormat,
        profile: hvcC.profile,
        level: hvcC.level,
      };
      const sps = spsUnit && attempt(() => parseH265Sps(spsUnit));
      if (!sps) return base;
      return withRate(
        { ...base, width: sps.width, height: sps.height },
        sps.frameRate,
      );
    }
    case "vvc":
      return vvcInfo(data);
    case "av1":
      return av1Info(data);
    case "vp9": {
      const vpcC = parseVp9DecoderConfig(data);
      const sub = vpcC.chromaSubsampling;
      return {
        codec: "vp9",
        codecString: vp9CodecString(vpcC),
        bitDepth: vpcC.bitDepth,
        chromaFormat: sub <= 1 ? 1 : sub,
        profile: vpcC.profile,
        level: vpcC.level,
      };
    }
    case "aac": {
      const asc = parseAudioSpecificConfig(data);
      const info: CodecConfigInfo = {
        codec: "aac",
        codecString: aacCodecString(asc),
        profile: asc.objectType,
        sampleRate: asc.outputSampleRate,
      };
      // channelConfiguration 0 (program config element) leaves the count unknown.
      const channels = asc.ps ? 2 : asc.channels;
      if (channels > 0) info.channels = channels;
      return info;
    }
    case "opus": {
      const head = parseOpusHead(data);
      return {
        codec: "opus",
        codecString: "opus",
        sampleRate: OPUS_SAMPLE_RATE,
        channels: head.channels,
      };
    }
    default:
      throw new StreamError(
        "Unsupported",
        `Cannot parse codec config: codec ${frame.codec} has no config record (supported: ${CONFIG_CODECS})`,
      );
  }
}

function first(list: readonly Uint8Array[], state: string): Uint8Array {
  const unit = list[0];
  if (unit === undefined) {
    throw new BitstreamError(`Cannot parse codec config: ${state}`, {
      byteOffset: 0,
    });
  }
  return unit;
}

/**
 * Runs an optional refinement (an SPS or sequence header inside a record whose
 * header already parsed): a malformed parameter set drops the fields it would
 * add instead of failing the whole record.
 */
function attempt<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof StreamError) return undefined;
    throw error;
  }
}

function withRate(info: CodecConfigInfo, frameRate?: number): CodecConfigInfo {
  if (frameRate !== undefined && Number.isFinite(frameRate) && frameRate > 0) {
    info.frameRate = frameRate;
  }
  return info;
}

function av1Info(data: Uint8Array): CodecConfigInfo {
  const av1C = parseAv1DecoderConfig(data);
  const seq = attempt(() => {
    const obu = splitAv1Obus(av1C.configObus).find((o) => o.type === 1);
    return obu && parseAv1SequenceHeader(obu.payload);
  });
  if (!seq) {
    return {
      codec: "av1",
      codecString: av1CodecString(av1C),
      bitDepth: av1C.bitDepth,
      chromaFormat: chromaOf(av1C),
      profile: av1C.profile,
      level: av1C.level,
    };
  }
  return withRate({
    codec: "av1",
    codecString: av1CodecString(seq),
    width: seq.width,
    height: seq.height,
    bitDepth: seq.bitDepth,
    chromaFormat: chromaOf(seq),
    profile: seq.profile,
    level: seq.level,
  }, seq.frameRate);
}

function chromaOf(
  c: { monochrome: boolean; subsamplingX: number; subsamplingY: number },
): number {
  if (c.monochrome) return 0;
  return c.subsamplingX ? (c.subsamplingY ? 1 : 2) : 3;
}

function vvcInfo(data: Uint8Array): CodecConfigInfo {
  const vvcC = parseVvcDecoderConfig(data);
  const info: CodecConfigInfo = {
    codec: "vvc",
    codecString: vvcCodecString(vvcC),
    profile: vvcC.profile,
    level: vvcC.level,
  };
  if (vvcC.chromaFormat !== undefined) info.chromaFormat = vvcC.chromaFormat;
  if (vvcC.bitDepth !== undefined) info.bitDepth = vvcC.bitDepth;
  const spsUnit = vvcC.arrays.find((a) => a.nalType === 15)?.nalus[0];
  if (spsUnit !== undefined) {
    const sps = attempt(() => parseVvcSps(spsUnit));
    if (sps === undefined) return info;
    info.width = sps.width;
    info.height = sps.height;
    if (vvcC.profile === 0 && sps.profile !== 0) {
      Object.assign(info, {
        profile: sps.profile,
        level: sps.level,
        codecString: vvcCodecString(sps),
        chromaFormat: sps.chromaFormat,
      });
    }
  }
  return info;
}

/**
 * Classifies a frame for the GOP cache: true at a random-access point (H.264
 * IDR or recovery-point SEI, H.265/VVC IRAP (and VVC GDR), AV1/VP9 key
 * frame), and always for config frames, audio and data.
 *
 * @param frame a frame in the payload format of `media/frame.ts`
 * @returns whether a decoder can start at this frame
 * @throws {BitstreamError} when the payload framing is malformed
 *
 * @example An H.264 IDR frame
 * ```ts
 * import { isRandomAccess } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const frame = {
 *   kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: false, data: new Uint8Array([0, 0, 0, 2, 0x65, 0x88]),
 * } as const;
 * assert.ok(isRandomAccess(frame));
 * ```
 */
export function isRandomAccess(frame: MediaFrame): boolean {
  if (frame.config || frame.kind !== "video") return true;
  switch (frame.codec) {
    case "h264":
      return isH264RandomAccess(frame.data);
    case "h265":
      return isH265RandomAccess(frame.data);
    case "vvc":
      return isVvcRandomAccess(frame.data);
    case "av1":
      return isAv1KeyFrame(frame.data);
    case "vp9":
      return isVp9KeyFrame(frame.data);
    default:
      return true;
  }
}

/**
 * The RFC 6381 codec string of a stream, from its config frame (or, for
 * codecs without one, any frame: mp3 → "mp4a.40.34", opus → "opus").
 *
 * @param frame a config frame (or an mp3/opus frame)
 * @returns the codec string
 * @throws {BitstreamError} when the record is malformed
 * @throws {StreamError} `InvalidInput` for a media frame of a codec that needs its config frame
 *
 * @example From an avcC config frame
 * ```ts
 * import { codecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const avcC = new Uint8Array([
 *   1, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0, 7, 0x67, 0x4d, 0x40, 0x1e, 0xda, 0x10, 0x99, 0,
 * ]);
 * const frame = {
 *   kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: avcC,
 * } as const;
 * assert.equal(codecString(frame), "avc1.4d401e");
 * ```
 */
export function codecString(frame: MediaFrame): string {
  if (frame.codec === "mp3") return "mp4a.40.34";
  if (frame.codec === "opus" && !frame.config) return "opus";
  if (!frame.config) {
    throw new StreamError(
      "InvalidInput",
      `Cannot build codec string: a ${frame.codec} media frame carries no configuration; pass its config frame`,
    );
  }
  return parseCodecConfig(frame).codecString;
}
