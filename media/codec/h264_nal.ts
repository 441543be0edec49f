/**
 * H.264 NAL unit types (ITU-T H.264 Table 7-1), PPS ids (§7.3.2.2) and
 * random-access classification: IDR slices and recovery-point SEI messages
 * (§D.1.8, payloadType 6).
 *
 * Data path: classification walks the 4-byte length prefixes of an AVCC sample
 * in place, reading one header byte per NAL unit; only an SEI unit is
 * un-escaped, bounded by {@linkcode MAX_SEI_SCAN_BYTES}. Nothing is allocated
 * for a sample without SEI.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader, removeEmulationPrevention } from "./bit_reader.ts";
import { MAX_PARAMETER_SET_BYTES } from "./h264_sps.ts";
import { checkedUe, forEachNalUnit } from "./_syntax.ts";

/**
 * Bytes of an SEI NAL unit searched for a recovery point. Encoders put the
 * recovery point first or after a short user-data message (x264 writes ~700
 * bytes of settings text); the cap bounds the work per frame.
 *
 * @example The SEI scan cap
 * ```ts
 * import { MAX_SEI_SCAN_BYTES } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_SEI_SCAN_BYTES, 4096);
 * ```
 */
export const MAX_SEI_SCAN_BYTES = 4096;

/**
 * H.264 nal_unit_type values used by this library.
 *
 * Specification: ITU-T H.264 Table 7-1.
 *
 * @example Read a NAL type
 * ```ts
 * import { H264NalType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(0x65 & 0x1f, H264NalType.Idr);
 * ```
 */
export const H264NalType: {
  readonly NonIdr: 1;
  readonly Idr: 5;
  readonly Sei: 6;
  readonly Sps: 7;
  readonly Pps: 8;
  readonly Aud: 9;
  readonly SpsExt: 13;
} = Object.freeze({
  NonIdr: 1,
  Idr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  SpsExt: 13,
});

/**
 * The identifiers at the start of an H.264 PPS.
 *
 * Specification: ITU-T H.264 §7.3.2.2, pic_parameter_set_rbsp.
 *
 * @example Ids of a PPS
 * ```ts
 * import { type H264PpsIds, parseH264PpsIds } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const ids: H264PpsIds = parseH264PpsIds(new Uint8Array([0x68, 0xce, 0x3c, 0x80]));
 * assert.equal(ids.id, 0);
 * ```
 */
export interface H264PpsIds {
  /** pic_parameter_set_id. */
  id: number;
  /** seq_parameter_set_id it refers to. */
  spsId: number;
}

/**
 * Reads the PPS and SPS ids from an H.264 PPS NAL unit.
 *
 * @param nal the PPS NAL unit, header byte included (type 8)
 * @returns the ids
 * @throws {BitstreamError} when the unit is truncated or not a PPS
 *
 * @example Read PPS ids
 * ```ts
 * import { parseH264PpsIds } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseH264PpsIds(new Uint8Array([0x68, 0xce, 0x3c, 0x80])), { id: 0, spsId: 0 });
 * ```
 */
export function parseH264PpsIds(nal: Uint8Array): H264PpsIds {
  if (nal.length < 2 || (nal[0]! & 0x1f) !== 8) {
    throw new BitstreamError("Cannot parse H.264 PPS: not a PPS NAL unit", {
      byteOffset: 0,
    });
  }
  const r = new BitReader(
    removeEmulationPrevention(nal.subarray(1), MAX_PARAMETER_SET_BYTES),
  );
  const id = checkedUe(r, 255, "pic_parameter_set_id");
  const spsId = checkedUe(r, 31, "seq_parameter_set_id");
  return { id, spsId };
}

/**
 * True when an H.264 SEI NAL unit carries a recovery_point message (an
 * open-GOP random-access point).
 *
 * @param nal the SEI NAL unit, header byte included (type 6)
 * @returns whether a recovery point SEI was found in the first {@linkcode MAX_SEI_SCAN_BYTES}
 *
 * @example Detect a recovery point
 * ```ts
 * import { hasH264RecoveryPoint } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * // payloadType 6, size 1, recovery_frame_cnt = 0 ...; rbsp trailing bits
 * assert.ok(hasH264RecoveryPoint(new Uint8Array([0x06, 0x06, 0x01, 0xc4, 0x80])));
 * ```
 */
export function hasH264RecoveryPoint(nal: Uint8Array): boolean {
  const rbsp = removeEmulationPrevention(nal, MAX_SEI_SCAN_BYTES);
  let pos = 1;
  // more_rbsp_data(): stop at the final rbsp_stop_one_bit byte (0x80).
  while (
    pos < rbsp.length && !(pos === rbsp.length - 1 && rbsp[pos] === 0x80)
  ) {
    let type = 0;
    while (pos < rbsp.length && rbsp[pos] === 0xff) {
      type += 255;
      pos++;
    }
    if (pos >= rbsp.length) return false;
    type += rbsp[pos++]!;
    let size = 0;
    while (pos < rbsp.length && rbsp[pos] === 0xff) {
      size += 255;
      pos++;
    }
    if (pos >= rbsp.length) return false;
    size += rbsp[pos++]!;
    if (type === 6) return true;
    pos += size;
  }
  return false;
}

/**
 * Classifies an H.264 AVCC sample: true when it holds an IDR slice or a
 * recovery-point SEI.
 *
 * @param sample the length-prefixed access unit
 * @param lengthSize NAL length size (default 4, as in {@linkcode MediaFrame})
 * @returns whether decoding can start at this sample
 * @throws {BitstreamError} when a length runs past the end of the sample
 *
 * @example Classify an IDR sample
 * ```ts
 * import { isH264RandomAccess } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isH264RandomAccess(new Uint8Array([0, 0, 0, 2, 0x65, 0x88])));
 * assert.ok(!isH264RandomAccess(new Uint8Array([0, 0, 0, 2, 0x41, 0x9a])));
 * ```
 */
export function isH264RandomAccess(
  sample: Uint8Array,
  lengthSize = 4,
): boolean {
  let found = false;
  forEachNalUnit(sample, lengthSize, (start, end) => {
    const type = sample[start]! & 0x1f;
    if (type === H264NalType.Idr) found = true;
    else if (type === H264NalType.Sei) {
      found ||= hasH264RecoveryPoint(sample.subarray(start, end));
    }
  });
  return found;
}
