import assert from "node:assert/strict";
import {
  annexBToLengthPrefixed,
  joinLengthPrefixed,
  lengthPrefixedToAnnexB,
  splitAnnexB,
  splitLengthPrefixed,
} from "../../../media/codec/mod.ts";
import { BitstreamError } from "../../../media/stream_error.ts";
import { fixture } from "./_fixtures.ts";

Deno.test("splitAnnexB() handles 3- and 4-byte start codes and trailing zeros", () => {
  const data = new Uint8Array([
    0,
    0,
    0,
    1,
    0x09,
    0xf0,
    0,
    0,
    1,
    0x67,
    0x42,
    0,
    0,
    0,
    0,
    0,
    1,
    0x68,
    0,
    0,
    1,
  ]);
  assert.deepEqual(splitAnnexB(data).map((u) => [...u]), [[0x09, 0xf0], [
    0x67,
    0x42,
  ], [0x68]]);
});

Deno.test("splitAnnexB() returns views into the input", () => {
  const data = fixture("h264_main.h264");
  const units = splitAnnexB(data);
  assert.ok(units.every((u) => u.buffer === data.buffer));
  assert.equal(units.length, 9);
});

Deno.test("splitAnnexB() rejects data without a leading start code", () => {
  assert.throws(
    () => splitAnnexB(new Uint8Array([1, 0, 0, 1, 0x65])),
    BitstreamError,
  );
  assert.throws(() => splitAnnexB(new Uint8Array([0x65])), BitstreamError);
});

Deno.test("Annex B and length-prefixed conversions round-trip a real stream", () => {
  const data = fixture("h265_main.h265");
  const units = splitAnnexB(data);
  for (const size of [4, 2] as const) {
    const avcc = annexBToLengthPrefixed(data, size);
    assert.deepEqual(splitLengthPrefixed(avcc, size), units);
    const back = lengthPrefixedToAnnexB(avcc, size);
    assert.deepEqual(splitAnnexB(back), units);
  }
});

Deno.test("splitLengthPrefixed() rejects a NAL length beyond the remaining bytes", () => {
  assert.throws(
    () => splitLengthPrefixed(new Uint8Array([0, 0, 0, 5, 1, 2])),
    BitstreamError,
  );
  assert.throws(
    () => splitLengthPrefixed(new Uint8Array([0, 0, 1])),
    BitstreamError,
  );
  assert.throws(() => splitLengthPrefixed(new Uint8Array([0]), 3), RangeError);
  assert.deepEqual(splitLengthPrefixed(new Uint8Array([0, 0, 0, 0])), []);
});

Deno.test("joinLengthPrefixed() rejects a unit too long for a 1-byte length", () => {
  assert.throws(() => joinLengthPrefixed([new Uint8Array(256)], 1), RangeError);
  assert.equal(joinLengthPrefixed([new Uint8Array(255)], 1).length, 256);
});
