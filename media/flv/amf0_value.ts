/**
 * The AMF0 value model ({@linkcode Amf0Value}), its typed error
 * ({@linkcode AmfSyntaxError}) and the decoder limits.
 *
 * Specification: Adobe "Action Message Format -- AMF 0" (2007), §2 (type
 * markers), §2.2–§2.14.
 *
 * | marker | AMF0 type      | JavaScript value                   |
 * |--------|----------------|------------------------------------|
 * | 0x00   | number         | `number`                           |
 * | 0x01   | boolean        | `boolean`                          |
 * | 0x02   | string         | `string` (UTF-8 ≤ 65535 bytes)     |
 * | 0x03   | object         | {@linkcode Amf0Object}             |
 * | 0x05   | null           | `null`                             |
 * | 0x06   | undefined      | `undefined`                        |
 * | 0x07   | reference      | the referenced object (decode only)|
 * | 0x08   | ECMA array     | {@linkcode Amf0EcmaArray}          |
 * | 0x09   | object end     | (terminates 0x03/0x08 only)        |
 * | 0x0A   | strict array   | `Amf0Value[]`                      |
 * | 0x0B   | date           | `Date`                             |
 * | 0x0C   | long string    | `string` (UTF-8 > 65535 bytes)     |
 * | 0x11   | AVM+ (AMF3)    | refused: `Unsupported`             |
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";

/**
 * A property bag: AMF0 anonymous object (marker 0x03).
 *
 * @example Connect command object
 * ```ts
 * import type { Amf0Object } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const command: Amf0Object = { app: "live", tcUrl: "rtmp://host/live" };
 * assert.equal(command.app, "live");
 * ```
 */
export interface Amf0Object {
  /** A named property. */
  [key: string]: Amf0Value;
}

/**
 * An AMF0 value; see the module table for the marker each form encodes to.
 *
 * @example A command message
 * ```ts
 * import type { Amf0Value } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const values: Amf0Value[] = ["connect", 1, { app: "live" }];
 * assert.equal(values.length, 3);
 * ```
 */
export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Object
  | Amf0EcmaArray
  | Amf0Value[];

/**
 * An AMF0 ECMA array (marker 0x08): an associative array, as used by
 * `onMetaData`. Kept distinct from {@linkcode Amf0Object} so that encoding
 * round-trips the marker.
 *
 * Specification: AMF 0 §2.10, ECMA Array Type.
 *
 * @example Build onMetaData properties
 * ```ts
 * import { Amf0EcmaArray } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const meta = new Amf0EcmaArray({ width: 1280, height: 720 });
 * assert.equal(meta.properties.width, 1280);
 * ```
 */
export class Amf0EcmaArray {
  /** The array's named entries. */
  readonly properties: Amf0Object;

  /**
   * Wrap named entries as an ECMA array.
   *
   * @param properties the named entries (not copied)
   */
  constructor(properties: Amf0Object = {}) {
    this.properties = properties;
  }
}

/**
 * Malformed AMF0 input: code `InvalidInput`, with the byte offset where
 * decoding stopped.
 *
 * @example Catch a truncated value
 * ```ts
 * import { AmfSyntaxError, decodeAmf0 } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => decodeAmf0(new Uint8Array([0x00, 0x3f])), AmfSyntaxError);
 * ```
 */
export class AmfSyntaxError extends BitstreamError {
  /**
   * Report malformed AMF0 at a byte offset.
   *
   * @param message "Cannot <action>: <state>"
   * @param byteOffset where in the input decoding stopped
   */
  constructor(message: string, byteOffset: number) {
    super(message, { byteOffset });
    this.name = "AmfSyntaxError";
  }
}

/**
 * Deepest nesting of objects/arrays the decoder follows. RTMP commands nest
 * two or three levels; the bound keeps hostile input from exhausting the stack.
 *
 * @example Check the depth bound
 * ```ts
 * import { AMF0_MAX_DEPTH } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.ok(AMF0_MAX_DEPTH >= 8);
 * ```
 */
export const AMF0_MAX_DEPTH: number = 32;

/**
 * Largest long string (marker 0x0C) accepted, in bytes. Real metadata strings
 * are small; this bounds the memory one value may pin.
 *
 * @example Check the long-string bound
 * ```ts
 * import { AMF0_MAX_LONG_STRING_BYTES } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.equal(AMF0_MAX_LONG_STRING_BYTES, 1 << 20);
 * ```
 */
export const AMF0_MAX_LONG_STRING_BYTES: number = 1 << 20;

/**
 * Most entries in one strict array or properties in one object/ECMA array.
 * `onMetaData` keyframe indexes stay well below; the bound caps the work a
 * declared count can cause.
 *
 * @example Check the entry bound
 * ```ts
 * import { AMF0_MAX_ENTRIES } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.equal(AMF0_MAX_ENTRIES, 65536);
 * ```
 */
export const AMF0_MAX_ENTRIES: number = 65536;

/**
 * Most values in one encoded message, after which decoding stops: bounds the
 * result array for hostile input made of one-byte values.
 *
 * @example Check the value-count bound
 * ```ts
 * import { AMF0_MAX_VALUES } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.equal(AMF0_MAX_VALUES, 4096);
 * ```
 */
export const AMF0_MAX_VALUES: number = 4096;
