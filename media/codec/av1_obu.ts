/**
 * AV1 OBUs: headers (AV1 spec §5.3), iteration over low-overhead streams
 * (with `obu_size`, §5.2) and single OBUs without a size field, and
 * key-frame detection from the frame header (§5.9.2).
 *
 * Data path: iteration validates every header and size first, then returns
 * `subarray` views (no copies). Memory is bounded by the input.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader } from "./bit_reader.ts";

/**
 * AV1 obu_type values.
 *
 * Specification: AV1 Bitstream & Decoding Process §6.2.2, Table obu_type.
 *
 * @example Read an OBU type
 * ```ts
 * import { Av1ObuType } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal((0x0a >> 3) & 0xf, Av1ObuType.SequenceHeader);
 * ```
 */
export const Av1ObuType: {
  readonly SequenceHeader: 1;
  readonly TemporalDelimiter: 2;
  readonly FrameHeader: 3;
  readonly TileGroup: 4;
  readonly Metadata: 5;
  readonly Frame: 6;
  readonly RedundantFrameHeader: 7;
  readonly TileList: 8;
  readonly Padding: 15;
} = Object.freeze({
  SequenceHeader: 1,
  TemporalDelimiter: 2,
  FrameHeader: 3,
  TileGroup: 4,
  Metadata: 5,
  Frame: 6,
  RedundantFrameHeader: 7,
  TileList: 8,
  Padding: 15,
});

/**
 * One OBU located in a buffer.
 *
 * Specification: AV1 §5.3.1 obu_header, §5.3.3 obu_extension_header.
 *
 * @example Inspect an OBU
 * ```ts
 * import { type Av1Obu, splitAv1Obus } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const [obu]: Av1Obu[] = splitAv1Obus(new Uint8Array([0x12, 0x00]));
 * assert.equal(obu!.type, 2);
 * assert.equal(obu!.payload.length, 0);
 * ```
 */
export interface Av1Obu {
  /** obu_type. */
  type: number;
  /** temporal_id (0 without an extension header). */
  temporalId: number;
  /** spatial_id (0 without an extension header). */
  spatialId: number;
  /** The whole OBU (header, size field and payload), a view. */
  data: Uint8Array;
  /** The OBU payload, a view. */
  payload: Uint8Array;
}

/**
 * Splits a low-overhead AV1 stream (every OBU has `obu_has_size_field = 1`,
 * except optionally the last) into OBUs.
 *
 * @param data concatenated OBUs (e.g. one temporal unit, or a Section 5 `.obu` file)
 * @returns the OBUs in order, with views of their bytes
 * @throws {BitstreamError} on a set forbidden bit, truncation or an over-long size
 *
 * @example Split a temporal delimiter and a padding OBU
 * ```ts
 * import { splitAv1Obus } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const obus = splitAv1Obus(new Uint8Array([0x12, 0x00, 0x7a, 0x01, 0xff]));
 * assert.deepEqual(obus.map((o) => o.type), [2, 15]);
 * assert.deepEqual([...obus[1]!.payload], [0xff]);
 * ```
 */
export function splitAv1Obus(data: Uint8Array): Av1Obu[] {
  let count = 0;
  for (let pos = 0; pos < data.length; count++) pos = obuEnd(data, pos);
  const obus = new Array<Av1Obu>(count);
  for (let pos = 0, k = 0; k < count; k++) {
    const end = obuEnd(data, pos);
    obus[k] = describeObu(data, pos, end);
    pos = end;
  }
  return obus;
}

/** Header length (header + extension + size field) and end of the OBU at `pos`. */
function obuLayout(data: Uint8Array, pos: number): [number, number] {
  const first = data[pos]!;
  if ((first & 0x80) !== 0) {
    throw new BitstreamError("Cannot parse AV1 OBU: forbidden bit is set", {
      byteOffset: pos,
    });
  }
  const extension = (first & 4) !== 0;
  let header = extension ? 2 : 1;
  if (pos + header > data.length) {
    throw new BitstreamError("Cannot parse AV1 OBU: truncated header", {
      byteOffset: pos,
    });
  }
  if ((first & 2) === 0) return [header, data.length];
  let size = 0;
  for (let i = 0;; i++) {
    if (i === 8 || pos + header >= data.length) {
      throw new BitstreamError("Cannot parse AV1 OBU: bad obu_size", {
        byteOffset: pos,
      });
    }
    const byte = data[pos + header++]!;
    size += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) break;
  }
  if (size > data.length - pos - header) {
    throw new BitstreamError(
      `Cannot parse AV1 OBU: obu_size ${size} exceeds the remaining ${
        data.length - pos - header
      } bytes`,
      { byteOffset: pos },
    );
  }
  return [header, pos + header + size];
}

function obuEnd(data: Uint8Array, pos: number): number {
  return obuLayout(data, pos)[1];
}

function describeObu(data: Uint8Array, pos: number, end: number): Av1Obu {
  const [header] = obuLayout(data, pos);
  const first = data[pos]!;
  const ext = (first & 4) !== 0 ? data[pos + 1]! : 0;
  return {
    type: (first >>> 3) & 0xf,
    temporalId: ext >>> 5,
    spatialId: (ext >>> 3) & 3,
    data: data.subarray(pos, end),
    payload: data.subarray(pos + header, end),
  };
}

/**
 * True when a temporal unit (low-overhead OBUs) starts a key frame: its first
 * frame header is a shown-or-not KEY_FRAME that is not a
 * show_existing_frame, or the sequence uses reduced still-picture headers.
 *
 * @param data the OBUs of one temporal unit
 * @returns whether decoding can start here (given the sequence header)
 * @throws {BitstreamError} when the OBUs are malformed
 *
 * @example A key frame header
 * ```ts
 * import { isAv1KeyFrame } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * // OBU_FRAME_HEADER (type 3, has_size), size 1: show_existing_frame 0, frame_type 0 (KEY)
 * assert.ok(isAv1KeyFrame(new Uint8Array([0x1a, 0x01, 0x10])));
 * // frame_type 1 (INTER)
 * assert.ok(!isAv1KeyFrame(new Uint8Array([0x1a, 0x01, 0x30])));
 * ```
 */
export function isAv1KeyFrame(data: Uint8Array): boolean {
  let reduced = false;
  for (let pos = 0; pos < data.length;) {
    const [header, end] = obuLayout(data, pos);
    const type = (data[pos]! >>> 3) & 0xf;
    const payload = data.subarray(pos + header, end);
    if (type === Av1ObuType.SequenceHeader && payload.length > 0) {
      reduced = (payload[0]! & 0x08) !== 0;
    } else if (
      type === Av1ObuType.Frame || type === Av1ObuType.FrameHeader
    ) {
      if (reduced) return true;
      const r = new BitReader(payload);
      if (r.readFlag()) return false; // show_existing_frame
      return r.readBits(2) === 0; // frame_type == KEY_FRAME
    }
    pos = end;
  }
  return false;
}
