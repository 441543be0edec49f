/**
 * Grouping NAL units into access units (pictures) for H.264 and H.265
 * elementary streams, e.g. when reading an Annex B file.
 *
 * Specification: ITU-T H.264 §7.4.1.2.3 (order of NAL units, first VCL unit
 * of a primary picture: first_mb_in_slice = 0), ITU-T H.265 §7.4.2.4.4
 * (first_slice_segment_in_pic_flag).
 *
 * Data path: one pass over the unit views, which are regrouped (not copied).
 * A new access unit starts at an AUD/parameter set/prefix SEI that follows a
 * picture's slices, or at a slice that begins a new picture.
 *
 * @module
 */

/**
 * Groups NAL units (e.g. from {@linkcode splitAnnexB}) into access units.
 *
 * @param units NAL units in decoding order
 * @param codec "h264" or "h265"
 * @returns one array of units per access unit
 *
 * @example Two H.264 pictures
 * ```ts
 * import { groupAccessUnits } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const units = [[0x67, 0x42], [0x68, 0xce], [0x65, 0x88], [0x41, 0x9a]].map((u) => new Uint8Array(u));
 * assert.deepEqual(groupAccessUnits(units, "h264").map((au) => au.length), [3, 1]);
 * ```
 */
export function groupAccessUnits(
  units: readonly Uint8Array[],
  codec: "h264" | "h265",
): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let seenSlice = false;
  for (const unit of units) {
    let slice: boolean;
    let firstSlice: boolean;
    let prefix: boolean;
    if (codec === "h264") {
      const type = unit[0]! & 0x1f;
      slice = type >= 1 && type <= 5;
      firstSlice = slice && unit.length > 1 && (unit[1]! & 0x80) !== 0;
      prefix = type === 6 || type === 7 || type === 8 || type === 9 ||
        (type >= 14 && type <= 18);
    } else {
      const type = (unit[0]! >>> 1) & 0x3f;
      slice = type <= 31;
      firstSlice = slice && unit.length > 2 && (unit[2]! & 0x80) !== 0;
      prefix = (type >= 32 && type <= 36) || type === 39 ||
        (type >= 41 && type <= 44);
    }
    if (seenSlice && (prefix || firstSlice)) {
      out.push(current);
      current = [];
      seenSlice = false;
    }
    current.push(unit);
    if (slice) seenSlice = true;
  }
  if (current.length > 0) out.push(current);
  return out;
}
