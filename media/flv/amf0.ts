/**
 * AMF0 encoding and decoding: {@linkcode encodeAmf0}, {@linkcode decodeAmf0},
 * {@linkcode decodeAmf0Value}.
 *
 * Specification: Adobe "Action Message Format -- AMF 0" (2007), §2.
 *
 * Data path: RTMP command/data messages and FLV script tags arrive as one
 * byte array; the decoder walks it once with a single `DataView`, bounded by
 * {@linkcode AMF0_MAX_DEPTH}, {@linkcode AMF0_MAX_ENTRIES},
 * {@linkcode AMF0_MAX_LONG_STRING_BYTES} and {@linkcode AMF0_MAX_VALUES}; every
 * declared count is checked against the bytes that remain before any work.
 * The encoder measures first, allocates the output once and writes in place.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import {
  AMF0_MAX_DEPTH,
  AMF0_MAX_ENTRIES,
  AMF0_MAX_LONG_STRING_BYTES,
  AMF0_MAX_VALUES,
  Amf0EcmaArray,
  type Amf0Object,
  type Amf0Value,
  AmfSyntaxError,
} from "./amf0_value.ts";

export * from "./amf0_value.ts";
export * from "./amf0_encoder.ts";

const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

interface Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly refs: (Amf0Object | Amf0EcmaArray | Amf0Value[])[];
}

/**
 * Decode every AMF0 value in `data` (an RTMP command or data message body).
 *
 * @param data the encoded values
 * @returns the decoded values, in order
 * @throws {AmfSyntaxError} on malformed or truncated input, or past a limit
 * @throws {StreamError} code `Unsupported` for AMF3 (0x11), typed objects and other legacy markers
 *
 * @example Decode a connect command
 * ```ts
 * import { decodeAmf0, encodeAmf0 } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeAmf0(["connect", 1, { app: "live" }]);
 * assert.deepEqual(decodeAmf0(bytes), ["connect", 1, { app: "live" }]);
 * ```
 */
export function decodeAmf0(data: Uint8Array): Amf0Value[] {
  const cursor = newCursor(data);
  const values: Amf0Value[] = [];
  while (cursor.pos < data.length) {
    if (values.length >= AMF0_MAX_VALUES) {
      throw new AmfSyntaxError(
        `Cannot decode AMF0: more than AMF0_MAX_VALUES (${AMF0_MAX_VALUES}) values`,
        cursor.pos,
      );
    }
    values.push(readValue(cursor, 0));
  }
  return values;
}

/**
 * Decode one AMF0 value starting at `offset`.
 *
 * @param data the encoded bytes
 * @param offset where the value starts (default 0)
 * @returns the value and the offset just past it
 * @throws {AmfSyntaxError} on malformed or truncated input
 *
 * @example Read the command name only
 * ```ts
 * import { decodeAmf0Value, encodeAmf0 } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeAmf0(["play", 0]);
 * const { value, end } = decodeAmf0Value(bytes);
 * assert.equal(value, "play");
 * assert.equal(end, 7);
 * ```
 */
export function decodeAmf0Value(
  data: Uint8Array,
  offset = 0,
): { value: Amf0Value; end: number } {
  const cursor = newCursor(data);
  cursor.pos = offset;
  const value = readValue(cursor, 0);
  return { value, end: cursor.pos };
}

function newCursor(data: Uint8Array): Cursor {
  return {
    bytes: data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    pos: 0,
    refs: [],
  };
}

function need(c: Cursor, n: number, what: string): void {
  if (c.pos + n > c.bytes.length) {
    throw new AmfSyntaxError(
      `Cannot read AMF0 ${what}: ${n} bytes needed, ${
        c.bytes.length - c.pos
      } remain`,
      c.pos,
    );
  }
}

function readUtf8(c: Cursor, length: number, what: string): string {
  need(c, length, what);
  const start = c.pos;
  c.pos += length;
  try {
    return UTF8_DECODER.decode(c.bytes.subarray(start, c.pos));
  } catch (cause) {
    throw new AmfSyntaxError(
      `Cannot decode AMF0 ${what}: invalid UTF-8 (${String(cause)})`,
      start,
    );
  }
}

function readShortString(c: Cursor, what: string): string {
  need(c, 2, what);
  const length = c.view.getUint16(c.pos);
  c.pos += 2;
  return readUtf8(c, length, what);
}

function readValue(c: Cursor, depth: number): Amf0Value {
  need(c, 1, "type marker");
  const at = c.pos;
  const marker = c.bytes[c.pos++]!;
  switch (marker) {
    case 0x00:
      need(c, 8, "number");
      c.pos += 8;
      return c.view.getFloat64(c.pos - 8);
    case 0x01:
      need(c, 1, "boolean");
      return c.bytes[c.pos++] !== 0;
    case 0x02:
      return readShortString(c, "string");
    case 0x03:
      return readProperties(c, depth, {}, at);
    case 0x05:
      return null;
    case 0x06:
      return undefined;
    case 0x07: {
      need(c, 2, "reference");
      const index = c.view.getUint16(c.pos);
      c.pos += 2;
      const target = c.refs[index];
      if (target === undefined) {
        throw new AmfSyntaxError(
          `Cannot resolve AMF0 reference: index ${index} of ${c.refs.length} objects`,
          at,
        );
      }
      return target;
    }
    case 0x08: {
      need(c, 4, "ECMA array count");
      c.pos += 4; // The count is advisory (§2.10); the end marker terminates.
      const array = new Amf0EcmaArray();
      c.refs.push(array);
      readProperties(c, depth, array.properties, -1);
      return array;
    }
    case 0x0a:
      return readStrictArray(c, depth);
    case 0x0b: {
      need(c, 10, "date");
      const ms = c.view.getFloat64(c.pos);
      c.pos += 10; // time-zone S16 is reserved and ignored (§2.13)
      return new Date(ms);
    }
    case 0x0c: {
      need(c, 4, "long string length");
      const length = c.view.getUint32(c.pos);
      c.pos += 4;
      if (length > AMF0_MAX_LONG_STRING_BYTES) {
        throw new AmfSyntaxError(
          `Cannot decode AMF0 long string: ${length} bytes exceeds AMF0_MAX_LONG_STRING_BYTES (${AMF0_MAX_LONG_STRING_BYTES})`,
          at,
        );
      }
      return readUtf8(c, length, "long string");
    }
    case 0x09:
      throw new AmfSyntaxError(
        "Cannot decode AMF0 value: object-end marker outside an object",
        at,
      );
    case 0x11:
      throw new StreamError(
        "Unsupported",
        "Cannot decode AMF0 value: AMF3 (AVM+ marker 0x11) is not supported; use objectEncoding 0",
      );
    default:
      throw new StreamError(
        "Unsupported",
        `Cannot decode AMF0 value: marker 0x${
          marker.toString(16).padStart(2, "0")
        } at byte ${at} is not supported (supported: 0x00-0x03, 0x05-0x0C)`,
      );
  }
}

function enter(c: Cursor, depth: number): number {
  if (depth + 1 > AMF0_MAX_DEPTH) {
    throw new AmfSyntaxError(
      `Cannot decode AMF0 value: nesting deeper than AMF0_MAX_DEPTH (${AMF0_MAX_DEPTH})`,
      c.pos,
    );
  }
  return depth + 1;
}

function readProperties(
  c: Cursor,
  depth: number,
  target: Amf0Object,
  refAt: number,
): Amf0Object {
  const inner = enter(c, depth);
  if (refAt >= 0) c.refs.push(target);
  for (let count = 0;; count++) {
    const key = readShortString(c, "property name");
    need(c, 1, "property value");
    if (key === "" && c.bytes[c.pos] === 0x09) {
      c.pos++;
      return target;
    }
    if (count >= AMF0_MAX_ENTRIES) {
      throw new AmfSyntaxError(
        `Cannot decode AMF0 object: more than AMF0_MAX_ENTRIES (${AMF0_MAX_ENTRIES}) properties`,
        c.pos,
      );
    }
    const value = readValue(c, inner);
    if (key === "__proto__") {
      Object.defineProperty(target, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      target[key] = value;
    }
  }
}

function readStrictArray(c: Cursor, depth: number): Amf0Value[] {
  const inner = enter(c, depth);
  need(c, 4, "strict array count");
  const count = c.view.getUint32(c.pos);
  c.pos += 4;
  // Every element takes at least one byte, so a count beyond the remaining
  // bytes is malformed before any element is read.
  if (count > AMF0_MAX_ENTRIES || count > c.bytes.length - c.pos) {
    throw new AmfSyntaxError(
      `Cannot decode AMF0 strict array: count ${count} exceeds the remaining ${
        c.bytes.length - c.pos
      } bytes or AMF0_MAX_ENTRIES (${AMF0_MAX_ENTRIES})`,
      c.pos - 4,
    );
  }
  const array: Amf0Value[] = [];
  c.refs.push(array);
  for (let i = 0; i < count; i++) array.push(readValue(c, inner));
  return array;
}
