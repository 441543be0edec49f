/**
 * {@linkcode readBoxes}: a bounds-checked walker over one level of ISOBMFF
 * boxes, returning views (no copies). Call it again on a box's `body` to
 * descend.
 *
 * Specification: ISO/IEC 14496-12 §4.2 (size 1 → 64-bit largesize, size 0 →
 * to the end of the enclosing data).
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";

/**
 * Most boxes one `readBoxes` call returns: bounds the work and the result
 * array on hostile input (a real fragment holds a handful per level).
 *
 * @example
 * ```ts
 * import { MAX_BOXES_PER_LEVEL } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_BOXES_PER_LEVEL >= 1000);
 * ```
 */
export const MAX_BOXES_PER_LEVEL: number = 100_000;

/**
 * One box ("moov", "trak", …) found by {@linkcode readBoxes}.
 *
 * @example
 * ```ts
 * import { type Mp4Box, readBoxes } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const [free]: Mp4Box[] = readBoxes(new Uint8Array([0, 0, 0, 9, 0x66, 0x72, 0x65, 0x65, 7]));
 * assert.equal(free?.type, "free");
 * assert.deepEqual([...free!.body], [7]);
 * ```
 */
export interface Mp4Box {
  /** Four-character type ("moov", "trun", …). */
  readonly type: string;
  /** Offset of the box header within the bytes given to `readBoxes`. */
  readonly offset: number;
  /** Whole box size, header included. */
  readonly size: number;
  /** The box payload after the header (a view into the input). */
  readonly body: Uint8Array;
}

/**
 * Split `bytes` into its top-level boxes.
 *
 * @param bytes a sequence of complete boxes
 * @returns the boxes in order, each with a `body` view
 * @throws {BitstreamError} when a header is truncated or a size is smaller
 * than its header or runs past the end of `bytes`, or past
 * {@linkcode MAX_BOXES_PER_LEVEL} boxes
 *
 * @example Walk into moov
 * ```ts
 * import { Fmp4Muxer, readBoxes } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const muxer = new Fmp4Muxer();
 * muxer.configure({
 *   kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]),
 * });
 * const moov = readBoxes(muxer.initSegment()!).find((box) => box.type === "moov")!;
 * assert.deepEqual(readBoxes(moov.body).map((box) => box.type), ["mvhd", "trak", "mvex"]);
 * ```
 */
export function readBoxes(bytes: Uint8Array): Mp4Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Mp4Box[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (boxes.length >= MAX_BOXES_PER_LEVEL) {
      throw new BitstreamError(
        `Cannot read box at ${offset}: over MAX_BOXES_PER_LEVEL (${MAX_BOXES_PER_LEVEL})`,
        { byteOffset: offset },
      );
    }
    if (bytes.length - offset < 8) {
      throw new BitstreamError(
        `Cannot read box header at ${offset}: ${
          bytes.length - offset
        } bytes left`,
        { byteOffset: offset },
      );
    }
    let size = view.getUint32(offset);
    let header = 8;
    if (size === 1) {
      if (bytes.length - offset < 16) {
        throw new BitstreamError(
          `Cannot read 64-bit box size at ${offset}: ${
            bytes.length - offset
          } bytes left`,
          { byteOffset: offset },
        );
      }
      size = view.getUint32(offset + 8) * 0x1_0000_0000 +
        view.getUint32(offset + 12);
      header = 16;
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < header || size > bytes.length - offset) {
      throw new BitstreamError(
        `Cannot read box at ${offset}: size ${size} does not fit ${
          bytes.length - offset
        } bytes`,
        { byteOffset: offset },
      );
    }
    const type = String.fromCharCode(
      bytes[offset + 4]!,
      bytes[offset + 5]!,
      bytes[offset + 6]!,
      bytes[offset + 7]!,
    );
    boxes.push({
      type,
      offset,
      size,
      body: bytes.subarray(offset + header, offset + size),
    });
    offset += size;
  }
  return boxes;
}
