/**
 * Codec bitstream parsers and codec strings, in pure TypeScript: H.264,
 * H.265, VVC (H.266), AV1, VP9, AAC and Opus.
 *
 * - Bit-level reading: {@linkcode BitReader} (bounds-checked, Exp-Golomb,
 *   LEB128) and {@linkcode removeEmulationPrevention}.
 * - NAL framing: {@linkcode splitAnnexB}, {@linkcode splitLengthPrefixed},
 *   {@linkcode annexBToLengthPrefixed}, {@linkcode lengthPrefixedToAnnexB}.
 * - Parameter sets and records: {@linkcode parseH264Sps},
 *   {@linkcode parseAvcDecoderConfig}/{@linkcode buildAvcDecoderConfig},
 *   {@linkcode parseH265Sps}, {@linkcode parseHevcDecoderConfig}/{@linkcode buildHevcDecoderConfig},
 *   {@linkcode parseAv1SequenceHeader}, {@linkcode buildAv1DecoderConfig},
 *   {@linkcode parseVp9FrameHeader}, {@linkcode buildVp9DecoderConfig},
 *   {@linkcode parseVvcSps}, {@linkcode parseAudioSpecificConfig},
 *   {@linkcode buildAdtsHeader}, {@linkcode parseOpusHead}.
 * - Dispatch: {@linkcode parseCodecConfig}, {@linkcode isRandomAccess},
 *   {@linkcode codecString}.
 *
 * Data path: parsers read the caller's bytes in place and return `subarray`
 * views (NAL units, OBUs, ADTS payloads) instead of copies; builders size
 * their output first and allocate once. All work is bounded by the input
 * length and named limits; malformed input throws {@linkcode BitstreamError}
 * (a `StreamError` with code `InvalidInput`), never anything else.
 *
 * | Format | Specification |
 * |--------|---------------|
 * | H.264 NAL, SPS, PPS, SEI | ITU-T H.264 §7.3, Annex B, Annex E |
 * | avcC / hvcC / vvcC | ISO/IEC 14496-15 §5.3.3.1 / §8.3.3.1 / §11.2.4.2 |
 * | H.265 NAL, VPS, SPS, PPS | ITU-T H.265 §7.3, Annex E |
 * | VVC NAL, SPS | ITU-T H.266 §7.3 |
 * | AV1 OBU, sequence header, av1C | AV1 spec §5; AV1-ISOBMFF §2.3 |
 * | VP9 frame header, vpcC | VP9 spec §6.2; VP codec ISO binding §2.2 |
 * | AudioSpecificConfig, ADTS | ISO/IEC 14496-3 §1.6.2.1; ISO/IEC 13818-7 §6.2 |
 * | OpusHead | RFC 7845 §5.1 |
 * | Codec strings | RFC 6381; ISO/IEC 14496-15 Annex E |
 *
 * @example Tour: from an Annex B stream to an avcC config frame and its codec string
 * ```ts
 * import {
 *   annexBToLengthPrefixed, buildAvcDecoderConfig, isRandomAccess, parseCodecConfig, splitAnnexB,
 * } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps = [0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99];
 * const pps = [0x68, 0xce, 0x3c, 0x80];
 * const idr = [0x65, 0x88, 0x84];
 * const units = splitAnnexB(new Uint8Array([0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...pps, 0, 0, 1, ...idr]));
 * const avcC = buildAvcDecoderConfig({ sps: [units[0]!], pps: [units[1]!] });
 * const base = { kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0, timescale: 1000, keyframe: true } as const;
 * const info = parseCodecConfig({ ...base, config: true, data: avcC });
 * assert.equal(info.codecString, "avc1.42c00a");
 * const sample = annexBToLengthPrefixed(new Uint8Array([0, 0, 1, ...idr]));
 * assert.ok(isRandomAccess({ ...base, config: false, data: sample }));
 * ```
 *
 * @module
 */
export * from "../frame.ts";
export * from "./bit_reader.ts";
export * from "./nal_units.ts";
export * from "./h264_sps.ts";
export * from "./h264_nal.ts";
export * from "./avc_decoder_config.ts";
export * from "./h265_sps.ts";
export * from "./h265_nal.ts";
export * from "./hevc_decoder_config.ts";
export * from "./vvc.ts";
export * from "./av1_obu.ts";
export * from "./av1_sequence_header.ts";
export * from "./vp9.ts";
export * from "./aac_config.ts";
export * from "./adts.ts";
export * from "./opus_head.ts";
export * from "./codec_string.ts";
export * from "./codec_config.ts";
export * from "./access_unit.ts";
