/**
 * HEVCDecoderConfigurationRecord ("hvcC") parse and build.
 *
 * Specification: ISO/IEC 14496-15 §8.3.3.1.
 *
 * ```text
 * hvcC (23-byte header, then arrays)
 *   u8  configurationVersion = 1
 *   u2 general_profile_space  u1 general_tier_flag  u5 general_profile_idc
 *   u32 general_profile_compatibility_flags   u48 general_constraint_indicator_flags
 *   u8  general_level_idc
 *   1111b u12 min_spatial_segmentation_idc   111111b u2 parallelismType
 *   111111b u2 chromaFormat   11111b u3 bitDepthLumaMinus8   11111b u3 bitDepthChromaMinus8
 *   u16 avgFrameRate   u2 constantFrameRate u3 numTemporalLayers u1 temporalIdNested u2 lengthSizeMinusOne
 *   u8  numOfArrays
 *     { u1 array_completeness, 0, u6 NAL_unit_type, u16 numNalus, { u16 length, NAL unit }* }*
 * ```
 *
 * Data path: parsing returns views of the NAL units (no copy); building sizes
 * the record first and writes it into one allocation. Header fields are
 * derived like FFmpeg's `ff_isom_write_hvcc` (PTL merged over VPS and SPS).
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { ByteCursor } from "./_byte_cursor.ts";
import { parseH265Pps, parseH265Vps } from "./h265_nal.ts";
import { type H265ProfileTierLevel, parseH265Sps } from "./h265_sps.ts";
import { writeSets } from "./_syntax.ts";

/**
 * One NAL unit array of an hvcC record.
 *
 * @example Find the SPS array
 * ```ts
 * import type { HevcNalArray } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const arrays: HevcNalArray[] = [{ nalType: 33, completeness: true, nalus: [new Uint8Array([0x42, 0x01])] }];
 * assert.equal(arrays.find((a) => a.nalType === 33)?.nalus.length, 1);
 * ```
 */
export interface HevcNalArray {
  /** NAL_unit_type of every unit in the array (32 VPS, 33 SPS, 34 PPS, 39/40 SEI). */
  nalType: number;
  /** array_completeness: all units of this type are in the record. */
  completeness: boolean;
  /** The NAL units (views into the record). */
  nalus: Uint8Array[];
}

/**
 * A parsed hvcC record.
 *
 * Specification: ISO/IEC 14496-15 §8.3.3.1, HEVCDecoderConfigurationRecord.
 *
 * @example Read the NAL length size
 * ```ts
 * import { type HevcDecoderConfig, parseHevcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config: HevcDecoderConfig = parseHevcDecoderConfig(new Uint8Array([
 *   1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0,
 * ]));
 * assert.equal(config.lengthSize, 4);
 * assert.equal(config.arrays.length, 0);
 * ```
 */
export interface HevcDecoderConfig extends H265ProfileTierLevel {
  /** configurationVersion (1). */
  version: number;
  /** min_spatial_segmentation_idc. */
  minSpatialSegmentation: number;
  /** parallelismType (0 unknown, 1 slices, 2 tiles, 3 wavefront). */
  parallelismType: number;
  /** chroma_format_idc. */
  chromaFormat: number;
  /** Luma bit depth. */
  bitDepthLuma: number;
  /** Chroma bit depth. */
  bitDepthChroma: number;
  /** avgFrameRate in frames per 256 s (0 = unspecified). */
  avgFrameRate: number;
  /** constantFrameRate (0..2). */
  constantFrameRate: number;
  /** numTemporalLayers. */
  numTemporalLayers: number;
  /** temporalIdNested. */
  temporalIdNested: boolean;
  /** NAL unit length size in samples: 1, 2 or 4. */
  lengthSize: number;
  /** The NAL unit arrays (VPS, SPS, PPS, SEI …). */
  arrays: HevcNalArray[];
}

/** Bytes before the first NAL array. */
const HVCC_HEADER_BYTES = 23;

/**
 * Parses an hvcC record.
 *
 * @param data the record bytes
 * @returns the record, with views of its NAL units
 * @throws {BitstreamError} on truncation, a version other than 1 or a length size of 3
 *
 * @example Pull the SPS out of a record
 * ```ts
 * import { parseHevcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = parseHevcDecoderConfig(new Uint8Array([
 *   1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f,
 *   1, 0xa1, 0, 1, 0, 2, 0x42, 0x01,
 * ]));
 * assert.equal(config.profile, 1);
 * assert.equal(config.level, 93);
 * assert.deepEqual([...config.arrays[0]!.nalus[0]!], [0x42, 0x01]);
 * ```
 */
export function parseHevcDecoderConfig(data: Uint8Array): HevcDecoderConfig {
  const c = new ByteCursor(data, "hvcC");
  c.need(HVCC_HEADER_BYTES);
  const version = c.u8();
  if (version !== 1) {
    throw new BitstreamError(
      `Cannot parse hvcC: configurationVersion is ${version}, expected 1`,
      { byteOffset: 0 },
    );
  }
  const b1 = c.u8();
  const compatibilityFlags = (c.u16() * 65536 + c.u16()) >>> 0;
  const constraintFlags = c.view(6);
  const level = c.u8();
  const minSpatialSegmentation = c.u16() & 0x0fff;
  const parallelismType = c.u8() & 3;
  const chromaFormat = c.u8() & 3;
  const bitDepthLuma = (c.u8() & 7) + 8;
  const bitDepthChroma = (c.u8() & 7) + 8;
  const avgFrameRate = c.u16();
  const b21 = c.u8();
  const lengthSize = (b21 & 3) + 1;
  if (lengthSize === 3) {
    throw new BitstreamError("Cannot parse hvcC: NAL length size 3", {
      byteOffset: 21,
    });
  }
  const arrays: HevcNalArray[] = [];
  for (let n = c.u8(); n > 0; n--) {
    const head = c.u8();
    const count = c.u16();
    const nalus: Uint8Array[] = [];
    for (let i = 0; i < count; i++) nalus.push(c.sized());
    arrays.push({
      nalType: head & 0x3f,
      completeness: (head & 0x80) !== 0,
      nalus,
    });
  }
  return {
    version,
    profileSpace: b1 >>> 6,
    tier: (b1 & 0x20) !== 0,
    profile: b1 & 0x1f,
    compatibilityFlags,
    constraintFlags,
    level,
    minSpatialSegmentation,
    parallelismType,
    chromaFormat,
    bitDepthLuma,
    bitDepthChroma,
    avgFrameRate,
    constantFrameRate: b21 >>> 6,
    numTemporalLayers: (b21 >>> 3) & 7,
    temporalIdNested: (b21 & 4) !== 0,
    lengthSize,
    arrays,
  };
}

/**
 * Input of {@linkcode buildHevcDecoderConfig}.
 *
 * @example Build input
 * ```ts
 * import type { HevcDecoderConfigInit } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const init: HevcDecoderConfigInit = { vps: [], sps: [], pps: [], lengthSize: 4, complete: true };
 * assert.equal(init.lengthSize, 4);
 * ```
 */
export interface HevcDecoderConfigInit {
  /** VPS NAL units (at least one). */
  vps: readonly Uint8Array[];
  /** SPS NAL units (at least one; the first gives chroma, bit depth and VUI). */
  sps: readonly Uint8Array[];
  /** PPS NAL units (at least one). */
  pps: readonly Uint8Array[];
  /** Prefix SEI NAL units to carry in the record (optional). */
  sei?: readonly Uint8Array[];
  /** NAL length size for samples (default 4). */
  lengthSize?: 1 | 2 | 4;
  /** array_completeness for every array (default true, as in `hvc1`). */
  complete?: boolean;
}

/**
 * Builds an hvcC record from parameter sets (one allocation). Profile, tier,
 * level and flags are merged over the VPS and SPS as FFmpeg does, so the
 * result matches FFmpeg's MP4 muxer byte for byte.
 *
 * @param init the parameter sets
 * @returns the record bytes
 * @throws {BitstreamError} when a parameter set cannot be parsed
 * @throws {RangeError} when a set is missing or over 65535 bytes
 *
 * @example Build from x265 parameter sets and read them back
 * ```ts
 * import { buildHevcDecoderConfig, parseHevcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
 * const vps = hex("40010c01ffff01600000030090000003000003001e959809");
 * const sps = hex("42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321");
 * const pps = hex("4401c172b46240");
 * const hvcC = buildHevcDecoderConfig({ vps: [vps], sps: [sps], pps: [pps] });
 * const config = parseHevcDecoderConfig(hvcC);
 * assert.deepEqual(config.arrays.map((a) => a.nalType), [32, 33, 34]);
 * assert.equal(config.level, 30);
 * ```
 */
export function buildHevcDecoderConfig(
  init: HevcDecoderConfigInit,
): Uint8Array {
  const { vps, sps, pps } = init;
  if (vps.length === 0 || sps.length === 0 || pps.length === 0) {
    throw new RangeError(
      `Cannot build hvcC: need VPS, SPS and PPS (have ${vps.length}/${sps.length}/${pps.length})`,
    );
  }
  const ptl = {
    profileSpace: 0,
    tier: false,
    profile: 0,
    compatibilityFlags: 0xffffffff,
    constraintFlags: new Uint8Array(6).fill(0xff),
    level: 0,
  };
  let layers = 1;
  let nested = false;
  for (const unit of vps) {
    const v = parseH265Vps(unit);
    mergePtl(ptl, v);
    layers = Math.max(layers, v.maxSubLayers);
  }
  const first = parseH265Sps(sps[0]!);
  for (const unit of sps) {
    const s = unit === sps[0] ? first : parseH265Sps(unit);
    mergePtl(ptl, s);
    layers = Math.max(layers, s.maxSubLayers);
    nested = s.temporalIdNesting;
  }
  let parallelismType = 0;
  if (first.minSpatialSegmentation > 0) {
    const p = parseH265Pps(pps[0]!);
    parallelismType = p.entropyCodingSync && p.tilesEnabled
      ? 0
      : p.entropyCodingSync
      ? 3
      : p.tilesEnabled
      ? 2
      : 1;
  }
  const arrays: [number, readonly Uint8Array[]][] = [[32, vps], [33, sps], [
    34,
    pps,
  ]];
  if (init.sei && init.sei.length > 0) arrays.push([39, init.sei]);
  let size = HVCC_HEADER_BYTES;
  for (const [, units] of arrays) {
    size += 3;
    for (const unit of units) {
      if (unit.length > 0xffff) {
        throw new RangeError(
          `Cannot build hvcC: NAL unit of ${unit.length} bytes exceeds 65535`,
        );
      }
      size += 2 + unit.length;
    }
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1;
  out[1] = (ptl.profileSpace << 6) | (ptl.tier ? 0x20 : 0) | ptl.profile;
  view.setUint32(2, ptl.compatibilityFlags >>> 0);
  out.set(ptl.constraintFlags, 6);
  out[12] = ptl.level;
  view.setUint16(13, 0xf000 | Math.min(first.minSpatialSegmentation, 0xfff));
  out[15] = 0xfc | parallelismType;
  out[16] = 0xfc | first.chromaFormat;
  out[17] = 0xf8 | (first.bitDepthLuma - 8);
  out[18] = 0xf8 | (first.bitDepthChroma - 8);
  // avgFrameRate (19..20) = 0: unspecified, as FFmpeg writes.
  out[21] = (Math.min(layers, 7) << 3) | (nested ? 4 : 0) |
    ((init.lengthSize ?? 4) - 1);
  out[22] = arrays.length;
  let pos = HVCC_HEADER_BYTES;
  const complete = init.complete ?? true;
  for (const [type, units] of arrays) {
    out[pos] = (complete ? 0x80 : 0) | type;
    view.setUint16(pos + 1, units.length);
    pos = writeSets(out, pos + 3, units);
  }
  return out;
}

/** hvcc_update_ptl in FFmpeg: last space, max tier/profile/level, AND of flags. */
function mergePtl(
  into: H265ProfileTierLevel,
  from: H265ProfileTierLevel,
): void {
  into.profileSpace = from.profileSpace;
  into.tier ||= from.tier;
  into.profile = Math.max(into.profile, from.profile);
  into.compatibilityFlags =
    (into.compatibilityFlags & from.compatibilityFlags) >>> 0;
  for (let i = 0; i < 6; i++) {
    into.constraintFlags[i]! &= from.constraintFlags[i]!;
  }
  into.level = Math.max(into.level, from.level);
}
