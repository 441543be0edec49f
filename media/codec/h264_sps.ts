/**
 * H.264 sequence parameter set parsing: ITU-T H.264 §7.3.2.1.1
 * (seq_parameter_set_data) and Annex E.1.1 (vui_parameters, up to
 * timing_info).
 *
 * Data path: the NAL unit is un-escaped once (at most
 * {@linkcode MAX_PARAMETER_SET_BYTES}) and read with a {@linkcode BitReader};
 * the result is a small plain object. Loops driven by stream values are bounded
 * by the syntax limits of the spec.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader, removeEmulationPrevention } from "./bit_reader.ts";
import {
  checkedUe,
  defaultVui,
  readAspectAndColour,
  type VideoUsability,
} from "./_syntax.ts";

export type { VideoUsability } from "./_syntax.ts";

/**
 * Largest parameter set processed. Real SPS/PPS/VPS are well under 1 KB; the
 * cap bounds the un-escaping work on hostile input.
 *
 * @example The parameter-set cap
 * ```ts
 * import { MAX_PARAMETER_SET_BYTES } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PARAMETER_SET_BYTES, 65536);
 * ```
 */
export const MAX_PARAMETER_SET_BYTES = 64 * 1024;

/** Profiles whose SPS carries chroma format and bit depth (H.264 §7.3.2.1.1). */
const HIGH_PROFILES: ReadonlySet<number> = new Set([
  100,
  110,
  122,
  244,
  44,
  83,
  86,
  118,
  128,
  138,
  139,
  134,
  135,
]);

/**
 * The fields of an H.264 SPS that muxers, players and the kernel use.
 *
 * Specification: ITU-T H.264 §7.3.2.1.1, seq_parameter_set_data.
 *
 * @example Read a parsed SPS
 * ```ts
 * import { type H264Sps, parseH264Sps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps: H264Sps = parseH264Sps(new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]));
 * assert.equal(sps.chromaFormat, 1);
 * assert.equal(sps.bitDepthLuma, 8);
 * ```
 */
export interface H264Sps extends VideoUsability {
  /** profile_idc (66 Baseline, 77 Main, 100 High, …). */
  profile: number;
  /** The constraint_set0..5 flags byte, as in avcC profile_compatibility. */
  constraintFlags: number;
  /** level_idc (e.g. 31 for level 3.1). */
  level: number;
  /** seq_parameter_set_id. */
  id: number;
  /** chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat: number;
  /** Luma bit depth (8..14). */
  bitDepthLuma: number;
  /** Chroma bit depth (8..14). */
  bitDepthChroma: number;
  /** max_num_ref_frames. */
  maxRefFrames: number;
  /** frame_mbs_only_flag (false means interlaced coding is possible). */
  frameMbsOnly: boolean;
  /** Display width in pixels, after cropping. */
  width: number;
  /** Display height in pixels, after cropping. */
  height: number;
  /** Frames per second from VUI timing (time_scale / (2 · num_units_in_tick)), when present. */
  frameRate?: number;
  /** pic_order_cnt_type (2: output order is decode order). */
  picOrderCntType: number;
  /**
   * max_num_reorder_frames from the VUI bitstream restriction, when present
   * (how many frames a decoder holds back: 0 means no B-frame reordering).
   */
  maxNumReorderFrames?: number;
}

/**
 * Parses an H.264 SPS NAL unit (header byte included).
 *
 * @param nal the SPS NAL unit, starting with its header byte (type 7)
 * @returns the parsed fields
 * @throws {BitstreamError} when the unit is truncated, malformed or not an SPS
 *
 * @example Parse an SPS (Baseline, 64x64)
 * ```ts
 * import { parseH264Sps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps = parseH264Sps(new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]));
 * assert.equal(sps.profile, 66);
 * assert.equal(sps.level, 10);
 * assert.equal(sps.width, 64);
 * assert.equal(sps.height, 64);
 * ```
 */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) {
    throw new BitstreamError("Cannot parse H.264 SPS: not an SPS NAL unit", {
      byteOffset: 0,
    });
  }
  const r = new BitReader(
    removeEmulationPrevention(nal.subarray(1), MAX_PARAMETER_SET_BYTES),
  );
  const profile = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const level = r.readBits(8);
  const id = checkedUe(r, 31, "seq_parameter_set_id");
  let chromaFormat = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = checkedUe(r, 3, "chroma_format_idc");
    if (chromaFormat === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = 8 + checkedUe(r, 6, "bit_depth_luma_minus8");
    bitDepthChroma = 8 + checkedUe(r, 6, "bit_depth_chroma_minus8");
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormat === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  checkedUe(r, 12, "log2_max_frame_num_minus4");
  const pocType = checkedUe(r, 2, "pic_order_cnt_type");
  if (pocType === 0) {
    checkedUe(r, 12, "log2_max_pic_order_cnt_lsb_minus4");
  } else if (pocType === 1) {
    r.skip(1);
    r.readSe();
    r.readSe();
    const cycle = checkedUe(r, 255, "num_ref_frames_in_pic_order_cnt_cycle");
    for (let i = 0; i < cycle; i++) r.readSe();
  }
  const maxRefFrames = r.readUe();
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = checkedUe(r, 65535, "pic_width_in_mbs_minus1") + 1;
  const heightMapUnits = checkedUe(r, 65535, "pic_height_in_map_units_minus1") +
    1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.readFlag()) crop = [r.readUe(), r.readUe(), r.readUe(), r.readUe()];
  const chromaArrayType = separateColourPlane ? 0 : chromaFormat;
  const subWidth = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeight = chromaArrayType === 1 ? 2 : 1;
  const cropX = chromaArrayType === 0 ? 1 : subWidth;
  const cropY = (chromaArrayType === 0 ? 1 : subHeight) *
    (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropX * (crop[0]! + crop[1]!);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 -
    cropY * (crop[2]! + crop[3]!);
  if (width <= 0 || height <= 0) {
    throw new BitstreamError(
      `Cannot parse H.264 SPS: cropping leaves ${width}x${height}`,
      { byteOffset: r.bitPosition >>> 3 },
    );
  }
  const hasVui = r.readFlag();
  const vui = hasVui ? parseVui(r) : defaultVui();
  const reorder = hasVui ? readVuiReorder(r) : undefined;
  const sps: H264Sps = {
    profile,
    constraintFlags,
    level,
    id,
    chromaFormat,
    bitDepthLuma,
    bitDepthChroma,
    maxRefFrames,
    frameMbsOnly,
    width,
    height,
    ...vui,
    picOrderCntType: pocType,
  };
  if (reorder !== undefined) sps.maxNumReorderFrames = reorder;
  if (vui.timeScale > 0 && vui.numUnitsInTick > 0) {
    sps.frameRate = vui.timeScale / (2 * vui.numUnitsInTick);
  }
  return sps;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.readSe() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/**
 * Reads vui_parameters up to and including timing info (H.264 E.1.1, H.265
 * E.2.1 share this prefix; H.265 callers handle the fields in between).
 */
function parseVui(r: BitReader): VideoUsability {
  const vui = defaultVui();
  readAspectAndColour(r, vui);
  if (r.readFlag()) { // chroma_loc_info_present_flag
    vui.chromaSampleLocType = checkedUe(r, 5, "chroma_sample_loc_type");
    checkedUe(r, 5, "chroma_sample_loc_type_bottom_field");
  }
  if (r.readFlag()) { // timing_info_present_flag
    vui.numUnitsInTick = r.readBits(32);
    vui.timeScale = r.readBits(32);
    r.skip(1); // fixed_frame_rate_flag
  }
  return vui;
}

/**
 * The rest of an H.264 VUI after timing info (E.1.1): HRD parameters, then
 * the bitstream restriction's max_num_reorder_frames. Undefined when absent
 * or when the VUI is cut short (the fields before it were still read).
 */
function readVuiReorder(r: BitReader): number | undefined {
  try {
    const nalHrd = r.readFlag();
    if (nalHrd) skipHrd(r);
    const vclHrd = r.readFlag();
    if (vclHrd) skipHrd(r);
    if (nalHrd || vclHrd) r.skip(1); // low_delay_hrd_flag
    r.skip(1); // pic_struct_present_flag
    if (!r.readFlag()) return undefined; // bitstream_restriction_flag
    r.skip(1); // motion_vectors_over_pic_boundaries_flag
    for (let i = 0; i < 4; i++) r.readUe(); // max bytes/bits, log2 mv lengths
    const reorder = r.readUe();
    return reorder <= 16 ? reorder : undefined;
  } catch {
    return undefined;
  }
}

/** hrd_parameters() (E.1.2). */
function skipHrd(r: BitReader): void {
  const count = checkedUe(r, 31, "cpb_cnt_minus1") + 1;
  r.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < count; i++) {
    r.readUe();
    r.readUe();
    r.skip(1);
  }
  r.skip(20); // four 5-bit lengths
}

/**
 * The profile name ffprobe/FFmpeg prints for an H.264 profile_idc and
 * constraint flags byte.
 *
 * @param profile profile_idc
 * @param constraintFlags the constraint_set flags byte
 * @returns e.g. "Constrained Baseline", "High 10", or "Unknown"
 *
 * @example Name a profile
 * ```ts
 * import { h264ProfileName } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(h264ProfileName(66, 0xc0), "Constrained Baseline");
 * assert.equal(h264ProfileName(100, 0), "High");
 * ```
 */
export function h264ProfileName(
  profile: number,
  constraintFlags: number,
): string {
  const set1 = (constraintFlags & 0x40) !== 0;
  const set3 = (constraintFlags & 0x10) !== 0;
  switch (profile) {
    case 66:
      return set1 ? "Constrained Baseline" : "Baseline";
    case 77:
      return "Main";
    case 88:
      return "Extended";
    case 100:
      return "High";
    case 110:
      return set3 ? "High 10 Intra" : "High 10";
    case 122:
      return set3 ? "High 4:2:2 Intra" : "High 4:2:2";
    case 244:
      return set3 ? "High 4:4:4 Intra" : "High 4:4:4 Predictive";
    case 44:
      return "CAVLC 4:4:4";
    default:
      return "Unknown";
  }
}
