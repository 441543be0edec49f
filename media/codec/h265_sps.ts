/**
 * H.265 profile_tier_level (ITU-T H.265 §7.3.3) and sequence parameter set
 * (§7.3.2.2, with st_ref_pic_set §7.3.7 and vui_parameters §E.2.1 up to
 * bitstream_restriction).
 *
 * Data path: the NAL unit is un-escaped once (at most
 * {@linkcode MAX_PARAMETER_SET_BYTES}) and read with a {@linkcode BitReader}.
 * Every stream-driven loop is bounded by its syntax limit.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader, removeEmulationPrevention } from "./bit_reader.ts";
import { MAX_PARAMETER_SET_BYTES } from "./h264_sps.ts";
import {
  checkedUe,
  defaultVui,
  type H265ProfileTierLevel,
  readAspectAndColour,
  readProfileTierLevel,
  type VideoUsability,
} from "./_syntax.ts";

export type { H265ProfileTierLevel } from "./_syntax.ts";

/**
 * The fields of an H.265 SPS that muxers, players and the kernel use.
 *
 * Specification: ITU-T H.265 §7.3.2.2, seq_parameter_set_rbsp.
 *
 * @example Read size and depth
 * ```ts
 * import { type H265Sps, parseH265Sps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * function describe(sps: H265Sps): string {
 *   return `${sps.width}x${sps.height} ${sps.bitDepthLuma}-bit`;
 * }
 * assert.equal(typeof describe, "function");
 * assert.equal(typeof parseH265Sps, "function");
 * ```
 */
export interface H265Sps extends H265ProfileTierLevel, VideoUsability {
  /** sps_video_parameter_set_id. */
  vpsId: number;
  /** sps_seq_parameter_set_id. */
  id: number;
  /** sps_max_sub_layers_minus1 + 1. */
  maxSubLayers: number;
  /** sps_temporal_id_nesting_flag. */
  temporalIdNesting: boolean;
  /** chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat: number;
  /** Luma bit depth. */
  bitDepthLuma: number;
  /** Chroma bit depth. */
  bitDepthChroma: number;
  /** Display width after the conformance window. */
  width: number;
  /** Display height after the conformance window. */
  height: number;
  /** min_spatial_segmentation_idc from the VUI bitstream restriction (0 when absent). */
  minSpatialSegmentation: number;
  /** Frames per second from VUI timing (time_scale / num_units_in_tick), when present. */
  frameRate?: number;
}

/**
 * Parses an H.265 SPS NAL unit (2-byte header included).
 *
 * @param nal the SPS NAL unit (type 33)
 * @returns the parsed fields
 * @throws {BitstreamError} when the unit is truncated, malformed or not an SPS
 *
 * @example Reject a non-SPS unit
 * ```ts
 * import { parseH265Sps } from "@arcly/stream/codec";
 * import { BitstreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseH265Sps(new Uint8Array([0x40, 0x01, 0x0c])), BitstreamError);
 * ```
 */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (nal.length < 3 || ((nal[0]! >>> 1) & 0x3f) !== 33) {
    throw new BitstreamError("Cannot parse H.265 SPS: not an SPS NAL unit", {
      byteOffset: 0,
    });
  }
  const r = new BitReader(
    removeEmulationPrevention(nal.subarray(2), MAX_PARAMETER_SET_BYTES),
  );
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) fail(r, "sps_max_sub_layers_minus1 is 7");
  const temporalIdNesting = r.readFlag();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const id = checkedUe(r, 15, "sps_seq_parameter_set_id");
  const chromaFormat = checkedUe(r, 3, "chroma_format_idc");
  const separateColourPlane = chromaFormat === 3 && r.readFlag();
  const codedWidth = checkedUe(r, 65535, "pic_width_in_luma_samples");
  const codedHeight = checkedUe(r, 65535, "pic_height_in_luma_samples");
  const window = [0, 0, 0, 0];
  if (r.readFlag()) {
    for (let i = 0; i < 4; i++) window[i] = r.readUe();
  }
  const bitDepthLuma = 8 + checkedUe(r, 8, "bit_depth_luma_minus8");
  const bitDepthChroma = 8 + checkedUe(r, 8, "bit_depth_chroma_minus8");
  const pocLsbBits = 4 + checkedUe(r, 12, "log2_max_pic_order_cnt_lsb_minus4");
  const orderingAll = r.readFlag();
  for (
    let i = orderingAll ? 0 : maxSubLayersMinus1;
    i <= maxSubLayersMinus1;
    i++
  ) {
    r.readUe();
    r.readUe();
    r.readUe();
  }
  for (let i = 0; i < 6; i++) r.readUe(); // coding/transform block sizes, depths
  if (r.readFlag() && r.readFlag()) skipScalingListData(r);
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.readFlag()) { // pcm_enabled_flag
    r.skip(8);
    r.readUe();
    r.readUe();
    r.skip(1);
  }
  skipShortTermRefPicSets(r, checkedUe(r, 64, "num_short_term_ref_pic_sets"));
  if (r.readFlag()) { // long_term_ref_pics_present_flag
    const count = checkedUe(r, 32, "num_long_term_ref_pics_sps");
    for (let i = 0; i < count; i++) r.skip(pocLsbBits + 1);
  }
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  const vui = defaultVui();
  let minSpatialSegmentation = 0;
  if (r.readFlag()) {
    minSpatialSegmentation = readVui(r, vui, maxSubLayersMinus1);
  }
  const arrayType = separateColourPlane ? 0 : chromaFormat;
  const subWidth = arrayType === 1 || arrayType === 2 ? 2 : 1;
  const subHeight = arrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidth * (window[0]! + window[1]!);
  const height = codedHeight - subHeight * (window[2]! + window[3]!);
  if (width <= 0 || height <= 0) {
    fail(r, `the conformance window leaves ${width}x${height}`);
  }
  const sps: H265Sps = {
    ...ptl,
    ...vui,
    vpsId,
    id,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    chromaFormat,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    minSpatialSegmentation,
  };
  if (vui.timeScale > 0 && vui.numUnitsInTick > 0) {
    sps.frameRate = vui.timeScale / vui.numUnitsInTick;
  }
  return sps;
}

function fail(r: BitReader, state: string): never {
  throw new BitstreamError(`Cannot parse H.265 SPS: ${state}`, {
    byteOffset: r.bitPosition >>> 3,
  });
}

function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.readFlag()) {
        r.readUe(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefficients = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.readSe();
      for (let i = 0; i < coefficients; i++) r.readSe();
    }
  }
}

/** Skips st_ref_pic_set(0..count-1) (§7.3.7), tracking NumDeltaPocs for inter prediction. */
function skipShortTermRefPicSets(r: BitReader, count: number): void {
  const numDeltaPocs: number[] = [];
  for (let idx = 0; idx < count; idx++) {
    if (idx !== 0 && r.readFlag()) { // inter_ref_pic_set_prediction_flag
      r.skip(1); // delta_rps_sign
      r.readUe(); // abs_delta_rps_minus1
      const ref = numDeltaPocs[idx - 1]!;
      let n = 0;
      for (let j = 0; j <= ref; j++) {
        const used = r.readFlag();
        if (used || r.readFlag()) n++;
      }
      numDeltaPocs.push(n);
      continue;
    }
    const negative = checkedUe(r, 16, "num_negative_pics");
    const positive = checkedUe(r, 16, "num_positive_pics");
    for (let i = 0; i < negative + positive; i++) {
      r.readUe();
      r.skip(1);
    }
    numDeltaPocs.push(negative + positive);
  }
}

/** Reads vui_parameters (§E.2.1) into `vui`; returns min_spatial_segmentation_idc. */
function readVui(
  r: BitReader,
  vui: VideoUsability,
  maxSubLayersMinus1: number,
): number {
  readAspectAndColour(r, vui);
  if (r.readFlag()) { // chroma_loc_info_present_flag
    vui.chromaSampleLocType = checkedUe(r, 5, "chroma_sample_loc_type");
    r.readUe();
  }
  r.skip(3); // neutral_chroma_indication, field_seq, frame_field_info_present
  if (r.readFlag()) { // default_display_window_flag
    for (let i = 0; i < 4; i++) r.readUe();
  }
  if (r.readFlag()) { // vui_timing_info_present_flag
    vui.numUnitsInTick = r.readBits(32);
    vui.timeScale = r.readBits(32);
    if (r.readFlag()) r.readUe(); // vui_num_ticks_poc_diff_one_minus1
    if (r.readFlag()) skipHrd(r, maxSubLayersMinus1);
  }
  if (!r.readFlag()) return 0; // bitstream_restriction_flag
  r.skip(3);
  return checkedUe(r, 4095, "min_spatial_segmentation_idc");
}

/** Skips hrd_parameters(1, maxSubLayersMinus1) (§E.2.2). */
function skipHrd(r: BitReader, maxSubLayersMinus1: number): void {
  const nal = r.readFlag();
  const vcl = r.readFlag();
  let subPic = false;
  if (nal || vcl) {
    subPic = r.readFlag();
    if (subPic) r.skip(19);
    r.skip(8);
    if (subPic) r.skip(4);
    r.skip(15);
  }
  for (let i = 0; i <= maxSubLayersMinus1; i++) {
    const fixedGeneral = r.readFlag();
    const fixedWithinCvs = fixedGeneral || r.readFlag();
    let lowDelay = false;
    if (fixedWithinCvs) r.readUe();
    else lowDelay = r.readFlag();
    const cpbCount = lowDelay ? 1 : checkedUe(r, 31, "cpb_cnt_minus1") + 1;
    for (let k = 0; k < (nal ? 1 : 0) + (vcl ? 1 : 0); k++) {
      for (let j = 0; j < cpbCount; j++) {
        r.readUe();
        r.readUe();
        if (subPic) {
          r.readUe();
          r.readUe();
        }
        r.skip(1);
      }
    }
  }
}
