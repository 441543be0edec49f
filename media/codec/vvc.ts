/**
 * VVC (H.266): NAL unit header and types, IRAP classification, SPS basics
 * (ids, chroma, profile/tier/level, size, bit depth) and the
 * VvcDecoderConfigurationRecord ("vvcC").
 *
 * Specification: ITU-T H.266 §7.3.1.2 (nal_unit_header), Table 5 (NAL unit
 * types), §7.3.2.4 (seq_parameter_set_rbsp, up to sps_bitdepth_minus8),
 * §7.3.3.1 (profile_tier_level); ISO/IEC 14496-15 §11.2.4.2
 * (VvcDecoderConfigurationRecord, VvcPTLRecord).
 *
 * Data path: classification reads one header byte per NAL unit in place;
 * parsing un-escapes the SPS once (bounded) and returns views for vvcC arrays.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader, removeEmulationPrevention } from "./bit_reader.ts";
import { ByteCursor } from "./_byte_cursor.ts";
import { MAX_PARAMETER_SET_BYTES } from "./h264_sps.ts";
import { checkedUe, forEachNalUnit } from "./_syntax.ts";

/**
 * VVC nal_unit_type values used by this library.
 *
 * Specification: ITU-T H.266 Table 5.
 *
 * @example Read a NAL type
 * ```ts
 * import { VvcNalType, vvcNalType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(vvcNalType(new Uint8Array([0x00, 0x79])), VvcNalType.Sps);
 * ```
 */
export const VvcNalType: {
  readonly Trail: 0;
  readonly IdrWRadl: 7;
  readonly IdrNLp: 8;
  readonly Cra: 9;
  readonly Gdr: 10;
  readonly Opi: 12;
  readonly Dci: 13;
  readonly Vps: 14;
  readonly Sps: 15;
  readonly Pps: 16;
  readonly PictureHeader: 19;
  readonly Aud: 20;
  readonly PrefixSei: 23;
  readonly SuffixSei: 24;
} = Object.freeze({
  Trail: 0,
  IdrWRadl: 7,
  IdrNLp: 8,
  Cra: 9,
  Gdr: 10,
  Opi: 12,
  Dci: 13,
  Vps: 14,
  Sps: 15,
  Pps: 16,
  PictureHeader: 19,
  Aud: 20,
  PrefixSei: 23,
  SuffixSei: 24,
});

/**
 * The nal_unit_type of a VVC NAL unit (second header byte, bits 7..3).
 *
 * @param nal the NAL unit (at least 2 bytes)
 * @returns nal_unit_type (0..31)
 * @throws {BitstreamError} when shorter than the 2-byte header
 *
 * @example An IDR_N_LP header
 * ```ts
 * import { vvcNalType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(vvcNalType(new Uint8Array([0x00, 0x41])), 8);
 * ```
 */
export function vvcNalType(nal: Uint8Array): number {
  if (nal.length < 2) {
    throw new BitstreamError("Cannot read VVC NAL header: need 2 bytes", {
      byteOffset: 0,
    });
  }
  return nal[1]! >>> 3;
}

/**
 * True for VVC IRAP types (IDR_W_RADL, IDR_N_LP, CRA) and GDR, where decoding
 * can start.
 *
 * @param type nal_unit_type
 * @returns whether the type is a random-access point
 *
 * @example CRA is IRAP
 * ```ts
 * import { isVvcRandomAccessType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isVvcRandomAccessType(9) && !isVvcRandomAccessType(0));
 * ```
 */
export function isVvcRandomAccessType(type: number): boolean {
  return type >= 7 && type <= 10;
}

/**
 * Classifies a VVC length-prefixed sample: true when it holds an IRAP or GDR
 * slice.
 *
 * @param sample the length-prefixed access unit
 * @param lengthSize NAL length size (default 4)
 * @returns whether decoding can start at this sample
 * @throws {BitstreamError} when a length runs past the end of the sample
 *
 * @example Classify an IDR sample
 * ```ts
 * import { isVvcRandomAccess } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isVvcRandomAccess(new Uint8Array([0, 0, 0, 3, 0x00, 0x39, 0x80])));
 * assert.ok(!isVvcRandomAccess(new Uint8Array([0, 0, 0, 3, 0x00, 0x01, 0x80])));
 * ```
 */
export function isVvcRandomAccess(sample: Uint8Array, lengthSize = 4): boolean {
  let found = false;
  forEachNalUnit(sample, lengthSize, (start, end) => {
    if (end - start >= 2 && isVvcRandomAccessType(sample[start + 1]! >>> 3)) {
      found = true;
    }
  });
  return found;
}

/**
 * The basic fields of a VVC SPS.
 *
 * Specification: ITU-T H.266 §7.3.2.4, seq_parameter_set_rbsp.
 *
 * @example Describe a VVC SPS
 * ```ts
 * import type { VvcSps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps: VvcSps = { id: 0, vpsId: 0, maxSubLayers: 1, chromaFormat: 1, profile: 1, tier: false, level: 83, width: 1920, height: 1080 };
 * assert.equal(sps.bitDepth, undefined);
 * ```
 */
export interface VvcSps {
  /** sps_seq_parameter_set_id. */
  id: number;
  /** sps_video_parameter_set_id. */
  vpsId: number;
  /** sps_max_sublayers_minus1 + 1. */
  maxSubLayers: number;
  /** sps_chroma_format_idc. */
  chromaFormat: number;
  /** general_profile_idc (when the PTL is present, else 0). */
  profile: number;
  /** general_tier_flag. */
  tier: boolean;
  /** general_level_idc. */
  level: number;
  /** Maximum width after the conformance window. */
  width: number;
  /** Maximum height after the conformance window. */
  height: number;
  /** Bit depth, when it could be reached (no subpicture info). */
  bitDepth?: number;
}

/**
 * Parses the start of a VVC SPS.
 *
 * @param nal the SPS NAL unit (type 15), header included
 * @returns the basic fields
 * @throws {BitstreamError} when the unit is truncated or not an SPS
 *
 * @example Reject a PPS
 * ```ts
 * import { parseVvcSps } from "@arcly/stream/codec";
 * import { BitstreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseVvcSps(new Uint8Array([0x00, 0x81, 0x00])), BitstreamError);
 * ```
 */
export function parseVvcSps(nal: Uint8Array): VvcSps {
  if (nal.length < 3 || nal[1]! >>> 3 !== VvcNalType.Sps) {
    throw new BitstreamError("Cannot parse VVC SPS: not an SPS NAL unit", {
      byteOffset: 0,
    });
  }
  const r = new BitReader(
    removeEmulationPrevention(nal.subarray(2), MAX_PARAMETER_SET_BYTES),
  );
  const id = r.readBits(4);
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  const chromaFormat = r.readBits(2);
  r.skip(2); // sps_log2_ctu_size_minus5
  let ptl = { profile: 0, tier: false, level: 0 };
  if (r.readFlag()) ptl = readVvcProfileTierLevel(r, maxSubLayersMinus1);
  r.skip(1); // sps_gdr_enabled_flag
  if (r.readFlag()) r.skip(1); // ref_pic_resampling → res_change_in_clvs
  const codedWidth = checkedUe(r, 65535, "sps_pic_width_max_in_luma_samples");
  const codedHeight = checkedUe(r, 65535, "sps_pic_height_max_in_luma_samples");
  const window = [0, 0, 0, 0];
  if (r.readFlag()) { for (let i = 0; i < 4; i++) window[i] = r.readUe(); }
  const subWidth = chromaFormat === 1 || chromaFormat === 2 ? 2 : 1;
  const subHeight = chromaFormat === 1 ? 2 : 1;
  const sps: VvcSps = {
    id,
    vpsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    chromaFormat,
    ...ptl,
    width: codedWidth - subWidth * (window[0]! + window[1]!),
    height: codedHeight - subHeight * (window[2]! + window[3]!),
  };
  if (!r.readFlag()) { // sps_subpic_info_present_flag
    sps.bitDepth = 8 + checkedUe(r, 8, "sps_bitdepth_minus8");
  }
  return sps;
}

/** profile_tier_level(1, maxSubLayersMinus1) (§7.3.3.1), general part. */
function readVvcProfileTierLevel(
  r: BitReader,
  maxSubLayersMinus1: number,
): { profile: number; tier: boolean; level: number } {
  const profile = r.readBits(7);
  const tier = r.readFlag();
  const level = r.readBits(8);
  r.skip(2); // ptl_frame_only_constraint_flag, ptl_multilayer_enabled_flag
  if (r.readFlag()) { // gci_present_flag: 71 constraint bits, then extra bits
    r.skip(71);
    r.skip(r.readBits(8)); // gci_num_additional_bits
  }
  while (!r.byteAligned) r.skip(1);
  const present: boolean[] = [];
  for (let i = maxSubLayersMinus1 - 1; i >= 0; i--) present.push(r.readFlag());
  while (!r.byteAligned) r.skip(1);
  for (const p of present) if (p) r.skip(8);
  r.skip(32 * r.readBits(8)); // ptl_num_sub_profiles, general_sub_profile_idc
  return { profile, tier, level };
}

/**
 * One NAL unit array of a vvcC record.
 *
 * @example An SPS array
 * ```ts
 * import type { VvcNalArray } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const array: VvcNalArray = { nalType: 15, completeness: true, nalus: [] };
 * assert.equal(array.nalType, 15);
 * ```
 */
export interface VvcNalArray {
  /** NAL_unit_type (14 VPS, 15 SPS, 16 PPS, …). */
  nalType: number;
  /** array_completeness. */
  completeness: boolean;
  /** The NAL units (views). */
  nalus: Uint8Array[];
}

/**
 * A parsed vvcC record (the general PTL fields and NAL arrays).
 *
 * Specification: ISO/IEC 14496-15 §11.2.4.2, VvcDecoderConfigurationRecord.
 *
 * @example Read a record
 * ```ts
 * import { parseVvcDecoderConfig, type VvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config: VvcDecoderConfig = parseVvcDecoderConfig(new Uint8Array([0xfe, 0]));
 * assert.equal(config.profile, 0);
 * ```
 */
export interface VvcDecoderConfig {
  /** NAL unit length size: 1, 2 or 4. */
  lengthSize: number;
  /** general_profile_idc (0 without PTL). */
  profile: number;
  /** general_tier_flag. */
  tier: boolean;
  /** general_level_idc. */
  level: number;
  /** chroma_format_idc (when the PTL is present). */
  chromaFormat?: number;
  /** Bit depth (when the PTL is present). */
  bitDepth?: number;
  /** max_picture_width (when the PTL is present). */
  width?: number;
  /** max_picture_height (when the PTL is present). */
  height?: number;
  /** The NAL arrays. */
  arrays: VvcNalArray[];
}

/**
 * Parses a vvcC record (the record itself, without a FullBox header).
 *
 * @param data the record bytes
 * @returns the parsed fields
 * @throws {BitstreamError} on truncation
 *
 * @example A record without PTL and no arrays
 * ```ts
 * import { parseVvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = parseVvcDecoderConfig(new Uint8Array([0xfe, 0]));
 * assert.equal(config.lengthSize, 4);
 * assert.equal(config.arrays.length, 0);
 * ```
 */
export function parseVvcDecoderConfig(data: Uint8Array): VvcDecoderConfig {
  const c = new ByteCursor(data, "vvcC");
  const b0 = c.u8();
  const config: VvcDecoderConfig = {
    lengthSize: ((b0 >>> 1) & 3) + 1,
    profile: 0,
    tier: false,
    level: 0,
    arrays: [],
  };
  if ((b0 & 1) === 1) {
    const head = c.u16(); // ols_idx(9) num_sublayers(3) cfr(2) chroma(2)
    const subLayers = (head >>> 4) & 7;
    config.chromaFormat = head & 3;
    config.bitDepth = (c.u8() >>> 5) + 8;
    const bytes = c.u8() & 0x3f; // num_bytes_constraint_info
    const b = c.u8();
    config.profile = b >>> 1;
    config.tier = (b & 1) === 1;
    config.level = c.u8();
    c.view(bytes); // ptl flags + general_constraint_info
    let presentMask = 0;
    if (subLayers > 1) presentMask = c.u8();
    for (let i = subLayers - 2; i >= 0; i--) {
      if (presentMask & (0x80 >>> (subLayers - 2 - i))) c.u8();
    }
    c.view(4 * c.u8()); // sub-profiles
    config.width = c.u16();
    config.height = c.u16();
    c.u16(); // avg_frame_rate
  }
  for (let n = c.u8(); n > 0; n--) {
    const head = c.u8();
    const nalType = head & 0x1f;
    const count = nalType === VvcNalType.Dci || nalType === VvcNalType.Opi
      ? 1
      : c.u16();
    const nalus: Uint8Array[] = [];
    for (let i = 0; i < count; i++) nalus.push(c.sized());
    config.arrays.push({ nalType, completeness: (head & 0x80) !== 0, nalus });
  }
  return config;
}
