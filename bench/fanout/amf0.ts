/**
 * Minimal AMF0 encoder/decoder for the benchmark's independent RTMP player.
 *
 * Only what an RTMP play handshake needs: number, boolean, string, object,
 * null/undefined, ECMA array, strict array, date and long string. It lives in
 * the harness (not in the library) so the load client measures servers without
 * depending on the code under test.
 *
 * Specification: Adobe "Action Message Format -- AMF 0" (2006), §2.2–§2.14.
 *
 * @module
 */

/** A decoded AMF0 value (subset used by RTMP commands). */
export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | { [key: string]: Amf0Value };

const MARKER_NUMBER = 0x00;
const MARKER_BOOLEAN = 0x01;
const MARKER_STRING = 0x02;
const MARKER_OBJECT = 0x03;
const MARKER_NULL = 0x05;
const MARKER_UNDEFINED = 0x06;
const MARKER_ECMA_ARRAY = 0x08;
const MARKER_OBJECT_END = 0x09;
const MARKER_STRICT_ARRAY = 0x0a;
const MARKER_DATE = 0x0b;
const MARKER_LONG_STRING = 0x0c;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes values one after another (an RTMP command message body).
 *
 * @param values The values in order (command name, transaction id, …).
 * @returns The AMF0 bytes.
 */
export function encodeAmf0(values: readonly Amf0Value[]): Uint8Array {
  const parts: number[] = [];
  for (const value of values) writeValue(parts, value);
  return Uint8Array.from(parts);
}

function writeString(out: number[], text: string): void {
  const bytes = encoder.encode(text);
  out.push(bytes.length >> 8, bytes.length & 0xff, ...bytes);
}

function writeValue(out: number[], value: Amf0Value): void {
  if (typeof value === "number") {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value);
    out.push(MARKER_NUMBER, ...b);
  } else if (typeof value === "boolean") {
    out.push(MARKER_BOOLEAN, value ? 1 : 0);
  } else if (typeof value === "string") {
    out.push(MARKER_STRING);
    writeString(out, value);
  } else if (value === null) {
    out.push(MARKER_NULL);
  } else if (value === undefined) {
    out.push(MARKER_UNDEFINED);
  } else if (Array.isArray(value)) {
    const n = value.length;
    out.push(
      MARKER_STRICT_ARRAY,
      n >>> 24,
      (n >> 16) & 0xff,
      (n >> 8) & 0xff,
      n & 0xff,
    );
    for (const item of value) writeValue(out, item);
  } else if (value instanceof Date) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value.getTime());
    out.push(MARKER_DATE, ...b, 0, 0);
  } else {
    out.push(MARKER_OBJECT);
    for (const [key, item] of Object.entries(value)) {
      writeString(out, key);
      writeValue(out, item);
    }
    out.push(0, 0, MARKER_OBJECT_END);
  }
}

/**
 * Decodes every value in an AMF0 command body.
 *
 * @param bytes The message body.
 * @returns The values in order.
 * @throws {RangeError} When the body is truncated or uses an unsupported marker.
 */
export function decodeAmf0(bytes: Uint8Array): Amf0Value[] {
  const reader = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    pos: 0,
  };
  const values: Amf0Value[] = [];
  while (reader.pos < bytes.length) values.push(readValue(reader));
  return values;
}

interface Reader {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
}

function need(r: Reader, n: number): void {
  if (r.pos + n > r.bytes.length) {
    throw new RangeError(
      `Cannot decode AMF0: need ${n} bytes at offset ${r.pos} of ${r.bytes.length}`,
    );
  }
}

function readString(r: Reader, long: boolean): string {
  need(r, long ? 4 : 2);
  const n = long ? r.view.getUint32(r.pos) : r.view.getUint16(r.pos);
  r.pos += long ? 4 : 2;
  need(r, n);
  const text = decoder.decode(r.bytes.subarray(r.pos, r.pos + n));
  r.pos += n;
  return text;
}

function readProperties(r: Reader): { [key: string]: Amf0Value } {
  const obj: { [key: string]: Amf0Value } = {};
  while (true) {
    const key = readString(r, false);
    need(r, 1);
    if (key === "" && r.bytes[r.pos] === MARKER_OBJECT_END) {
      r.pos += 1;
      return obj;
    }
    obj[key] = readValue(r);
  }
}

function readValue(r: Reader): Amf0Value {
  need(r, 1);
  const marker = r.bytes[r.pos++];
  switch (marker) {
    case MARKER_NUMBER: {
      need(r, 8);
      const v = r.view.getFloat64(r.pos);
      r.pos += 8;
      return v;
    }
    case MARKER_BOOLEAN:
      need(r, 1);
      return r.bytes[r.pos++] !== 0;
    case MARKER_STRING:
      return readString(r, false);
    case MARKER_LONG_STRING:
      return readString(r, true);
    case MARKER_OBJECT:
      return readProperties(r);
    case MARKER_NULL:
      return null;
    case MARKER_UNDEFINED:
      return undefined;
    case MARKER_ECMA_ARRAY:
      need(r, 4);
      r.pos += 4;
      return readProperties(r);
    case MARKER_STRICT_ARRAY: {
      need(r, 4);
      const n = r.view.getUint32(r.pos);
      r.pos += 4;
      const items: Amf0Value[] = [];
      for (let i = 0; i < n; i++) items.push(readValue(r));
      return items;
    }
    case MARKER_DATE: {
      need(r, 10);
      const ms = r.view.getFloat64(r.pos);
      r.pos += 10;
      return new Date(ms);
    }
    default:
      throw new RangeError(
        `Cannot decode AMF0: unsupported marker ${marker} at offset ${
          r.pos - 1
        }`,
      );
  }
}
