import assert from "node:assert/strict";
import {
  AMF0_MAX_DEPTH,
  Amf0EcmaArray,
  type Amf0Value,
  AmfSyntaxError,
  decodeAmf0,
  decodeAmf0Value,
  encodeAmf0,
  StreamError,
} from "../../../media/flv/mod.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  return Uint8Array.from(
    clean.match(/../g)!.map((b) => parseInt(b, 16)),
  );
}

/** Table of {name, bytes, decoded}: drives decode, encode and round-trip. */
const CASES: { name: string; bytes: string; decoded: Amf0Value[] }[] = [
  { name: "number", bytes: "00 3ff0000000000000", decoded: [1] },
  { name: "boolean", bytes: "01 01 01 00", decoded: [true, false] },
  { name: "string", bytes: "02 0004 706c6179", decoded: ["play"] },
  { name: "null and undefined", bytes: "05 06", decoded: [null, undefined] },
  {
    name: "object",
    bytes: "03 0003 617070 02 0004 6c697665 000009",
    decoded: [{ app: "live" }],
  },
  {
    name: "ECMA array",
    bytes: "08 00000001 0005 7769647468 00 4084000000000000 000009",
    decoded: [new Amf0EcmaArray({ width: 640 })],
  },
  {
    name: "strict array",
    bytes: "0a 00000002 00 4000000000000000 05",
    decoded: [[2, null]],
  },
  {
    name: "date",
    bytes: "0b 0000000000000000 0000",
    decoded: [new Date(0)],
  },
  {
    name: "nested object",
    bytes: "03 0001 61 03 0001 62 01 01 000009 000009",
    decoded: [{ a: { b: true } }],
  },
];

for (const c of CASES) {
  Deno.test(`decodeAmf0() decodes ${c.name}`, () => {
    assert.deepEqual(decodeAmf0(hex(c.bytes)), c.decoded);
  });
  Deno.test(`encodeAmf0() encodes ${c.name} byte-exactly`, () => {
    assert.deepEqual(encodeAmf0(c.decoded), hex(c.bytes));
  });
}

Deno.test("encodeAmf0() round-trips an RTMP connect command", () => {
  const values: Amf0Value[] = ["connect", 1, {
    app: "live",
    flashVer: "FMLE/3.0",
    tcUrl: "rtmp://127.0.0.1/live",
    fpad: false,
    capabilities: 239,
    audioCodecs: 3575,
    videoCodecs: 252,
    videoFunction: 1,
    fourCcList: ["av01", "vp09", "hvc1"],
    objectEncoding: 0,
  }];
  assert.deepEqual(decodeAmf0(encodeAmf0(values)), values);
});

Deno.test("encodeAmf0() switches to a long string past 65535 UTF-8 bytes", () => {
  const long = "é".repeat(40_000); // 80,000 UTF-8 bytes
  const bytes = encodeAmf0([long]);
  assert.equal(bytes[0], 0x0c);
  assert.equal(bytes.length, 5 + 80_000);
  assert.deepEqual(decodeAmf0(bytes), [long]);
  assert.equal(encodeAmf0(["x".repeat(65535)])[0], 0x02);
});

Deno.test("encodeAmf0() encodes astral characters as 4-byte UTF-8", () => {
  const bytes = encodeAmf0(["🎥"]);
  assert.deepEqual(bytes, hex("02 0004 f09f8ea5"));
});

Deno.test("decodeAmf0() resolves references to earlier objects", () => {
  // [ {a:1}, ref 1 ] (index 0 is the strict array itself)
  const bytes = hex(
    "0a 00000002 03 0001 61 00 3ff0000000000000 000009 07 0001",
  );
  const [array] = decodeAmf0(bytes) as [Amf0Value[]];
  assert.equal(array[0], array[1]);
  assert.throws(
    () => decodeAmf0(hex("07 0003")),
    (e) => e instanceof AmfSyntaxError && e.byteOffset === 0,
  );
});

Deno.test("decodeAmf0() keeps __proto__ as a plain property", () => {
  const bytes = hex("03 0009 5f5f70726f746f5f5f 00 3ff0000000000000 000009");
  const [object] = decodeAmf0(bytes) as [Record<string, unknown>];
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(object, "__proto__")?.value, 1);
});

Deno.test("decodeAmf0() refuses AMF3 with an Unsupported StreamError", () => {
  assert.throws(
    () => decodeAmf0(hex("11 06 03 61")),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
});

Deno.test("decodeAmf0() reports truncation with its byte offset", () => {
  const cases: [string, number][] = [
    ["00 3ff0", 1],
    ["02 0010 6162", 3],
    ["03 0001 61", 4],
    ["0a 00000003 05", 1],
    ["0c 00000005 61", 5],
  ];
  for (const [bytes, offset] of cases) {
    assert.throws(
      () => decodeAmf0(hex(bytes)),
      (e) =>
        e instanceof AmfSyntaxError && e.code === "InvalidInput" &&
        e.byteOffset === offset,
      bytes,
    );
  }
});

Deno.test("decodeAmf0() refuses nesting past AMF0_MAX_DEPTH", () => {
  const depth = AMF0_MAX_DEPTH + 1;
  const parts = "0a00000001".repeat(depth) + "05";
  assert.throws(() => decodeAmf0(hex(parts)), AmfSyntaxError);
  const ok = "0a00000001".repeat(AMF0_MAX_DEPTH) + "05";
  assert.equal(decodeAmf0(hex(ok)).length, 1);
});

Deno.test("decodeAmf0() refuses an object-end marker at top level", () => {
  assert.throws(() => decodeAmf0(hex("09")), AmfSyntaxError);
});

Deno.test("decodeAmf0() refuses invalid UTF-8", () => {
  assert.throws(() => decodeAmf0(hex("02 0002 c328")), AmfSyntaxError);
});

Deno.test("decodeAmf0Value() returns the end offset of one value", () => {
  const bytes = encodeAmf0(["_result", 1, null]);
  const first = decodeAmf0Value(bytes);
  assert.equal(first.value, "_result");
  const second = decodeAmf0Value(bytes, first.end);
  assert.equal(second.value, 1);
  assert.equal(second.end, first.end + 9);
});

Deno.test("encodeAmf0() refuses a cyclic object", () => {
  const cyclic: Record<string, Amf0Value> = {};
  cyclic.self = cyclic;
  assert.throws(
    () => encodeAmf0([cyclic]),
    (e) => e instanceof StreamError && e.code === "InvalidInput",
  );
});
