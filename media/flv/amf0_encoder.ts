/**
 * {@linkcode encodeAmf0}: AMF0 values to bytes, sized first (UTF-8 lengths
 * counted without encoding), allocated once and written in place.
 *
 * Specification: Adobe "Action Message Format -- AMF 0" (2007), §2.
 *
 * @module
 */
import { StreamError } from "../stream_error.ts";
import {
  AMF0_MAX_DEPTH,
  Amf0EcmaArray,
  type Amf0Object,
  type Amf0Value,
} from "./amf0_value.ts";

const UTF8_ENCODER = new TextEncoder();
/** Largest UTF-8 length a short string (0x02) or property key can carry. */
const SHORT_STRING_MAX = 0xffff;

/**
 * Encode values as consecutive AMF0 values. Strings longer than 65535 UTF-8
 * bytes become long strings (0x0C).
 *
 * @param values the values to encode
 * @returns the encoded bytes (one allocation)
 * @throws {StreamError} code `InvalidInput` for a cyclic or too-deep value or a
 *   property key longer than 65535 bytes
 *
 * @example Encode onMetaData
 * ```ts
 * import { Amf0EcmaArray, encodeAmf0 } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeAmf0(["onMetaData", new Amf0EcmaArray({ width: 640 })]);
 * assert.equal(bytes[0], 0x02); // string marker
 * assert.equal(bytes[13], 0x08); // ECMA array marker
 * ```
 */
export function encodeAmf0(values: readonly Amf0Value[]): Uint8Array {
  let size = 0;
  for (const v of values) size += measure(v, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const v of values) pos = write(v, out, view, pos);
  return out;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x80) n += 1;
    else if (code < 0x800) n += 2;
    else if (
      code >= 0xd800 && code < 0xdc00 && i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4;
      i++;
    } else n += 3; // BMP char, or a lone surrogate encoded as U+FFFD
  }
  return n;
}

function tooDeep(depth: number): void {
  if (depth > AMF0_MAX_DEPTH) {
    throw new StreamError(
      "InvalidInput",
      `Cannot encode AMF0 value: nesting deeper than AMF0_MAX_DEPTH (${AMF0_MAX_DEPTH}) or cyclic`,
    );
  }
}

function measureKeys(object: Amf0Object, depth: number): number {
  let n = 3; // empty key + object-end marker
  for (const key of Object.keys(object)) {
    const length = utf8Length(key);
    if (length > SHORT_STRING_MAX) {
      throw new StreamError(
        "InvalidInput",
        `Cannot encode AMF0 property name: ${length} bytes exceeds 65535`,
      );
    }
    n += 2 + length + measure(object[key], depth + 1);
  }
  return n;
}

function measure(v: Amf0Value, depth: number): number {
  tooDeep(depth);
  if (typeof v === "number") return 9;
  if (typeof v === "boolean") return 2;
  if (typeof v === "string") {
    const length = utf8Length(v);
    return length > SHORT_STRING_MAX ? 5 + length : 3 + length;
  }
  if (v === null || v === undefined) return 1;
  if (v instanceof Date) return 11;
  if (Array.isArray(v)) {
    let n = 5;
    for (const item of v) n += measure(item, depth + 1);
    return n;
  }
  if (v instanceof Amf0EcmaArray) return 5 + measureKeys(v.properties, depth);
  return 1 + measureKeys(v, depth);
}

function writeString(
  s: string,
  out: Uint8Array,
  view: DataView,
  pos: number,
  long: boolean,
): number {
  const lengthAt = pos;
  pos += long ? 4 : 2;
  const { written } = UTF8_ENCODER.encodeInto(s, out.subarray(pos));
  if (long) view.setUint32(lengthAt, written);
  else view.setUint16(lengthAt, written);
  return pos + written;
}

function writeKeys(
  object: Amf0Object,
  out: Uint8Array,
  view: DataView,
  pos: number,
): number {
  for (const key of Object.keys(object)) {
    pos = writeString(key, out, view, pos, false);
    pos = write(object[key], out, view, pos);
  }
  out[pos] = 0;
  out[pos + 1] = 0;
  out[pos + 2] = 0x09;
  return pos + 3;
}

function write(
  v: Amf0Value,
  out: Uint8Array,
  view: DataView,
  pos: number,
): number {
  if (typeof v === "number") {
    out[pos] = 0x00;
    view.setFloat64(pos + 1, v);
    return pos + 9;
  }
  if (typeof v === "boolean") {
    out[pos] = 0x01;
    out[pos + 1] = v ? 1 : 0;
    return pos + 2;
  }
  if (typeof v === "string") {
    const long = utf8Length(v) > SHORT_STRING_MAX;
    out[pos] = long ? 0x0c : 0x02;
    return writeString(v, out, view, pos + 1, long);
  }
  if (v === null || v === undefined) {
    out[pos] = v === null ? 0x05 : 0x06;
    return pos + 1;
  }
  if (v instanceof Date) {
    out[pos] = 0x0b;
    view.setFloat64(pos + 1, v.getTime());
    view.setInt16(pos + 9, 0);
    return pos + 11;
  }
  if (Array.isArray(v)) {
    out[pos] = 0x0a;
    view.setUint32(pos + 1, v.length);
    pos += 5;
    for (const item of v) pos = write(item, out, view, pos);
    return pos;
  }
  if (v instanceof Amf0EcmaArray) {
    out[pos] = 0x08;
    view.setUint32(pos + 1, Object.keys(v.properties).length);
    return writeKeys(v.properties, out, view, pos + 5);
  }
  out[pos] = 0x03;
  return writeKeys(v, out, view, pos + 1);
}
