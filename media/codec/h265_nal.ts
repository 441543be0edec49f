/**
 * H.265 NAL unit header (ITU-T H.265 §7.3.1.2), NAL unit types (Table 7-1),
 * IRAP classification (IDR, CRA, BLA: types 16..23), and the ids and
 * parallelism hints of VPS (§7.3.2.1) and PPS (§7.3.2.3).
 *
 * Data path: classification walks the length prefixes of a sample in place
 * and reads one header byte per NAL unit; nothing is allocated.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader, removeEmulationPrevention } from "./bit_reader.ts";
import { MAX_PARAMETER_SET_BYTES } from "./h264_sps.ts";
import type { H265ProfileTierLevel } from "./h265_sps.ts";
import { checkedUe, forEachNalUnit, readProfileTierLevel } from "./_syntax.ts";

/**
 * H.265 nal_unit_type values used by this library.
 *
 * Specification: ITU-T H.265 Table 7-1.
 *
 * @example Read a NAL type
 * ```ts
 * import { H265NalType, h265NalType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(h265NalType(new Uint8Array([0x26, 0x01])), H265NalType.IdrWRadl);
 * ```
 */
export const H265NalType: {
  readonly TrailR: 1;
  readonly BlaWLp: 16;
  readonly BlaNLp: 18;
  readonly IdrWRadl: 19;
  readonly IdrNLp: 20;
  readonly Cra: 21;
  readonly Vps: 32;
  readonly Sps: 33;
  readonly Pps: 34;
  readonly Aud: 35;
  readonly PrefixSei: 39;
  readonly SuffixSei: 40;
} = Object.freeze({
  TrailR: 1,
  BlaWLp: 16,
  BlaNLp: 18,
  IdrWRadl: 19,
  IdrNLp: 20,
  Cra: 21,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  Aud: 35,
  PrefixSei: 39,
  SuffixSei: 40,
});

/**
 * The nal_unit_type of an H.265 NAL unit.
 *
 * @param nal the NAL unit (at least 1 byte)
 * @returns nal_unit_type (0..63)
 * @throws {BitstreamError} when `nal` is empty
 *
 * @example Classify a VPS
 * ```ts
 * import { h265NalType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(h265NalType(new Uint8Array([0x40, 0x01])), 32);
 * ```
 */
export function h265NalType(nal: Uint8Array): number {
  if (nal.length === 0) {
    throw new BitstreamError("Cannot read H.265 NAL header: empty unit", {
      byteOffset: 0,
    });
  }
  return (nal[0]! >>> 1) & 0x3f;
}

/**
 * True for an IRAP NAL unit type (BLA, IDR, CRA, reserved IRAP: 16..23).
 *
 * @param type nal_unit_type
 * @returns whether decoding can start at a picture of this type
 *
 * @example IDR and CRA are IRAP
 * ```ts
 * import { isH265IrapType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isH265IrapType(19) && isH265IrapType(21) && !isH265IrapType(1));
 * ```
 */
export function isH265IrapType(type: number): boolean {
  return type >= 16 && type <= 23;
}

/**
 * Classifies an H.265 length-prefixed sample: true when it holds an IRAP
 * slice.
 *
 * @param sample the length-prefixed access unit
 * @param lengthSize NAL length size (default 4)
 * @returns whether decoding can start at this sample
 * @throws {BitstreamError} when a length runs past the end of the sample
 *
 * @example Classify a CRA sample
 * ```ts
 * import { isH265RandomAccess } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isH265RandomAccess(new Uint8Array([0, 0, 0, 3, 0x2a, 0x01, 0xaf])));
 * assert.ok(!isH265RandomAccess(new Uint8Array([0, 0, 0, 3, 0x02, 0x01, 0xd0])));
 * ```
 */
export function isH265RandomAccess(
  sample: Uint8Array,
  lengthSize = 4,
): boolean {
  let found = false;
  forEachNalUnit(sample, lengthSize, (start) => {
    if (isH265IrapType((sample[start]! >>> 1) & 0x3f)) found = true;
  });
  return found;
}

/**
 * The fields of an H.265 VPS used for hvcC.
 *
 * Specification: ITU-T H.265 §7.3.2.1, video_parameter_set_rbsp.
 *
 * @example Use the VPS profile
 * ```ts
 * import type { H265Vps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const isMain10 = (vps: H265Vps): boolean => vps.profile === 2;
 * assert.equal(typeof isMain10, "function");
 * ```
 */
export interface H265Vps extends H265ProfileTierLevel {
  /** vps_video_parameter_set_id. */
  id: number;
  /** vps_max_sub_layers_minus1 + 1. */
  maxSubLayers: number;
  /** vps_temporal_id_nesting_flag. */
  temporalIdNesting: boolean;
}

/**
 * Parses the start of an H.265 VPS (ids, sub-layers, profile/tier/level).
 *
 * @param nal the VPS NAL unit (type 32), header included
 * @returns the parsed fields
 * @throws {BitstreamError} when the unit is truncated or not a VPS
 *
 * @example Reject a truncated VPS
 * ```ts
 * import { parseH265Vps } from "@arcly/stream/codec";
 * import { BitstreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseH265Vps(new Uint8Array([0x40, 0x01, 0x0c])), BitstreamError);
 * ```
 */
export function parseH265Vps(nal: Uint8Array): H265Vps {
  const r = unitReader(nal, 32, "VPS");
  const id = r.readBits(4);
  r.skip(8); // base_layer_internal, base_layer_available, max_layers_minus1
  const maxSubLayersMinus1 = r.readBits(3);
  const temporalIdNesting = r.readFlag();
  r.skip(16); // vps_reserved_0xffff_16bits
  const ptl = readProfileTierLevel(r, Math.min(maxSubLayersMinus1, 6));
  return {
    ...ptl,
    id,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
  };
}

/**
 * The ids and parallel-decoding tools of an H.265 PPS.
 *
 * Specification: ITU-T H.265 §7.3.2.3.1, pic_parameter_set_rbsp.
 *
 * @example Read PPS ids
 * ```ts
 * import { type H265Pps, parseH265Pps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const pps: H265Pps = parseH265Pps(new Uint8Array([0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40]));
 * assert.equal(pps.tilesEnabled, false);
 * ```
 */
export interface H265Pps {
  /** pps_pic_parameter_set_id. */
  id: number;
  /** pps_seq_parameter_set_id. */
  spsId: number;
  /** tiles_enabled_flag. */
  tilesEnabled: boolean;
  /** entropy_coding_sync_enabled_flag (wavefront). */
  entropyCodingSync: boolean;
}

/**
 * Parses an H.265 PPS up to the tiles/wavefront flags.
 *
 * @param nal the PPS NAL unit (type 34), header included
 * @returns the parsed fields
 * @throws {BitstreamError} when the unit is truncated or not a PPS
 *
 * @example Parse a PPS
 * ```ts
 * import { parseH265Pps } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const pps = parseH265Pps(new Uint8Array([0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40]));
 * assert.equal(pps.id, 0);
 * assert.equal(pps.spsId, 0);
 * ```
 */
export function parseH265Pps(nal: Uint8Array): H265Pps {
  const r = unitReader(nal, 34, "PPS");
  const id = checkedUe(r, 63, "pps_pic_parameter_set_id");
  const spsId = checkedUe(r, 15, "pps_seq_parameter_set_id");
  r.skip(7); // dependent_slice_segments, output_flag_present, extra bits(3), sign_data_hiding, cabac_init_present
  r.readUe();
  r.readUe();
  r.readSe(); // init_qp_minus26
  r.skip(2); // constrained_intra_pred_flag, transform_skip_enabled_flag
  if (r.readFlag()) r.readUe(); // cu_qp_delta_enabled_flag → diff_cu_qp_delta_depth
  r.readSe();
  r.readSe();
  r.skip(4); // slice_chroma_qp_offsets_present, weighted_pred, weighted_bipred, transquant_bypass
  const tilesEnabled = r.readFlag();
  const entropyCodingSync = r.readFlag();
  return { id, spsId, tilesEnabled, entropyCodingSync };
}

function unitReader(nal: Uint8Array, type: number, what: string): BitReader {
  if (nal.length < 3 || ((nal[0]! >>> 1) & 0x3f) !== type) {
    throw new BitstreamError(
      `Cannot parse H.265 ${what}: not a ${what} NAL unit`,
      { byteOffset: 0 },
    );
  }
  return new BitReader(
    removeEmulationPrevention(nal.subarray(2), MAX_PARAMETER_SET_BYTES),
  );
}
