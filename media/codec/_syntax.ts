/**
 * Internal syntax helpers shared by the H.264, H.265 and VVC parsers: bounded
 * `ue(v)`, the common start of the VUI (H.264 Annex E.1.1 / H.265 Annex
 * E.2.1), in-place iteration over length-prefixed NAL units, and
 * `{u16 length, bytes}` writing for decoder configuration records.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import type { BitReader } from "./bit_reader.ts";

/**
 * Video usability information common to H.264 and H.265 (colour, aspect,
 * timing).
 *
 * Specification: ITU-T H.264 Annex E.1.1 / ITU-T H.265 Annex E.2.1.
 *
 * @example Defaults without VUI
 * ```ts
 * import { parseH264Sps, type VideoUsability } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const vui: VideoUsability = parseH264Sps(new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]));
 * assert.equal(vui.fullRange, false);
 * assert.equal(vui.timeScale, 0);
 * ```
 */
export interface VideoUsability {
  /** Sample aspect ratio numerator (1 when absent). */
  sarWidth: number;
  /** Sample aspect ratio denominator (1 when absent). */
  sarHeight: number;
  /** video_full_range_flag. */
  fullRange: boolean;
  /** colour_primaries (2 = unspecified when absent). */
  colourPrimaries: number;
  /** transfer_characteristics (2 = unspecified when absent). */
  transferCharacteristics: number;
  /** matrix_coefficients (2 = unspecified when absent). */
  matrixCoefficients: number;
  /** chroma_sample_loc_type_top_field (0 = "left" when absent). */
  chromaSampleLocType: number;
  /** num_units_in_tick, 0 when timing info is absent. */
  numUnitsInTick: number;
  /** time_scale, 0 when timing info is absent. */
  timeScale: number;
}

/**
 * The general profile, tier and level of an H.265/VVC-style PTL structure.
 *
 * Specification: ITU-T H.265 §7.3.3, profile_tier_level (general part).
 *
 * @example Format a PTL as a codec string
 * ```ts
 * import { type H265ProfileTierLevel, hevcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const ptl: H265ProfileTierLevel = { profileSpace: 0, tier: false, profile: 2, compatibilityFlags: 0x20000000,
 *   constraintFlags: new Uint8Array([0x90, 0, 0, 0, 0, 0]), level: 120 };
 * assert.equal(hevcCodecString(ptl), "hvc1.2.4.L120.90");
 * ```
 */
export interface H265ProfileTierLevel {
  /** general_profile_space (0..3). */
  profileSpace: number;
  /** general_tier_flag (true = High tier). */
  tier: boolean;
  /** general_profile_idc (1 Main, 2 Main 10, 3 Main Still Picture, 4 RExt …). */
  profile: number;
  /** general_profile_compatibility_flag[0..31] as a u32, flag j at bit 31 - j. */
  compatibilityFlags: number;
  /** The 48 constraint-indicator bits (progressive_source_flag first) as 6 bytes. */
  constraintFlags: Uint8Array;
  /** general_level_idc (30 × level, e.g. 93 for 3.1). */
  level: number;
}

/** Sample aspect ratios for aspect_ratio_idc 1..16 (H.264 Table E-1). */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 1],
  [12, 11],
  [10, 11],
  [16, 11],
  [40, 33],
  [24, 11],
  [20, 11],
  [32, 11],
  [80, 33],
  [18, 11],
  [15, 11],
  [64, 33],
  [160, 99],
  [4, 3],
  [3, 2],
  [2, 1],
];

/** Reads ue(v) and rejects values above the syntax maximum. */
export function checkedUe(r: BitReader, max: number, name: string): number {
  const value = r.readUe();
  if (value > max) {
    throw new BitstreamError(
      `Cannot parse ${name}: ${value} exceeds the maximum ${max}`,
      { byteOffset: r.bitPosition >>> 3 },
    );
  }
  return value;
}

/** The VUI values assumed when an SPS carries none. */
export function defaultVui(): VideoUsability {
  return {
    sarWidth: 1,
    sarHeight: 1,
    fullRange: false,
    colourPrimaries: 2,
    transferCharacteristics: 2,
    matrixCoefficients: 2,
    chromaSampleLocType: 0,
    numUnitsInTick: 0,
    timeScale: 0,
  };
}

/**
 * Reads aspect_ratio_info, overscan_info and video_signal_type (the common
 * start of the H.264 and H.265 VUI) into `vui`.
 */
export function readAspectAndColour(r: BitReader, vui: VideoUsability): void {
  if (r.readFlag()) { // aspect_ratio_info_present_flag
    const idc = r.readBits(8);
    if (idc === 255) {
      vui.sarWidth = r.readBits(16);
      vui.sarHeight = r.readBits(16);
    } else if (idc > 0 && idc < SAR_TABLE.length) {
      [vui.sarWidth, vui.sarHeight] = SAR_TABLE[idc]!;
    }
  }
  if (r.readFlag()) r.skip(1); // overscan_info_present / appropriate
  if (r.readFlag()) { // video_signal_type_present_flag
    r.skip(3); // video_format
    vui.fullRange = r.readFlag();
    if (r.readFlag()) {
      vui.colourPrimaries = r.readBits(8);
      vui.transferCharacteristics = r.readBits(8);
      vui.matrixCoefficients = r.readBits(8);
    }
  }
}

/**
 * Calls `visit(start, end)` for each non-empty NAL unit of a length-prefixed
 * sample, validating every length first.
 */
export function forEachNalUnit(
  sample: Uint8Array,
  lengthSize: number,
  visit: (start: number, end: number) => void,
): void {
  let pos = 0;
  while (pos < sample.length) {
    if (sample.length - pos < lengthSize) {
      throw new BitstreamError(
        `Cannot read NAL unit length: ${sample.length - pos} bytes left`,
        { byteOffset: pos },
      );
    }
    let length = 0;
    for (let i = 0; i < lengthSize; i++) {
      length = length * 256 + sample[pos + i]!;
    }
    pos += lengthSize;
    if (length > sample.length - pos) {
      throw new BitstreamError(
        `Cannot read NAL unit: length ${length} exceeds the remaining ${
          sample.length - pos
        } bytes`,
        { byteOffset: pos - lengthSize },
      );
    }
    if (length > 0) visit(pos, pos + length);
    pos += length;
  }
}

/** Writes `{u16 length, bytes}*` at `pos`; returns the end offset. */
export function writeSets(
  out: Uint8Array,
  pos: number,
  sets: readonly Uint8Array[],
): number {
  for (const set of sets) {
    out[pos] = set.length >>> 8;
    out[pos + 1] = set.length & 0xff;
    out.set(set, pos + 2);
    pos += 2 + set.length;
  }
  return pos;
}

/**
 * Reads profile_tier_level(1, maxSubLayersMinus1), returning its general part.
 *
 * @param r a reader positioned at the structure
 * @param maxSubLayersMinus1 the enclosing sps/vps_max_sub_layers_minus1
 * @returns the general profile, tier and level
 */
export function readProfileTierLevel(
  r: BitReader,
  maxSubLayersMinus1: number,
): H265ProfileTierLevel {
  const profileSpace = r.readBits(2);
  const tier = r.readFlag();
  const profile = r.readBits(5);
  const compatibilityFlags = r.readBits(32);
  const constraintFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintFlags[i] = r.readBits(8);
  const level = r.readBits(8);
  const present: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    present.push(r.readFlag(), r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (present[2 * i]) r.skip(88);
    if (present[2 * i + 1]) r.skip(8);
  }
  return {
    profileSpace,
    tier,
    profile,
    compatibilityFlags,
    constraintFlags,
    level,
  };
}
