import assert from "node:assert/strict";
import {
  BitReader,
  MAX_EXP_GOLOMB_LEADING_ZEROS,
  removeEmulationPrevention,
} from "../../../media/codec/mod.ts";
import { BitstreamError } from "../../../media/stream_error.ts";

Deno.test("BitReader.readBits() reads across byte boundaries, up to 32 bits", () => {
  const r = new BitReader(new Uint8Array([0xab, 0xcd, 0xef, 0x12, 0x34]));
  assert.equal(r.readBits(4), 0xa);
  assert.equal(r.readBits(12), 0xbcd);
  assert.equal(r.readBits(0), 0);
  assert.equal(r.readBits(24), 0xef1234);
  assert.equal(r.bitsLeft, 0);
  const full = new BitReader(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  assert.equal(full.readBits(32), 0xffffffff);
});

Deno.test("BitReader.readUe()/readSe() decode the H.264 Table 9-2 code words", () => {
  // codeNum 0..8: 1, 010, 011, 00100, 00101, 00110, 00111, 0001000, 0001001
  const bits = "1" + "010" + "011" + "00100" + "00101" + "00110" + "00111" +
    "0001000" + "0001001";
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] === "1") bytes[i >> 3]! |= 0x80 >> (i & 7);
  }
  const ue = new BitReader(bytes);
  for (let k = 0; k <= 8; k++) assert.equal(ue.readUe(), k);
  const se = new BitReader(bytes);
  for (const v of [0, 1, -1, 2, -2, 3, -3, 4, -4]) assert.equal(se.readSe(), v);
});

Deno.test("BitReader.readUe() handles 32-bit values and rejects longer prefixes", () => {
  // 31 zeros, 1, then 31 ones -> 2^32 - 2
  const bytes = new Uint8Array(8);
  bytes[3] = 0x01;
  bytes.fill(0xff, 4);
  assert.equal(new BitReader(bytes).readUe(), 2 ** 32 - 2);
  const zeros = new Uint8Array(8);
  zeros[7] = 1;
  assert.throws(() => new BitReader(zeros).readUe(), BitstreamError);
  assert.equal(MAX_EXP_GOLOMB_LEADING_ZEROS, 32);
});

Deno.test("BitReader never reads past the end and reports the byte offset", () => {
  const r = new BitReader(new Uint8Array([0x00, 0x00]));
  r.skip(12);
  try {
    r.readBits(8);
    assert.fail("expected a BitstreamError");
  } catch (error) {
    assert.ok(error instanceof BitstreamError);
    assert.equal(error.code, "InvalidInput");
    assert.equal(error.byteOffset, 1);
  }
  assert.equal(r.bitsLeft, 4);
  assert.throws(
    () => new BitReader(new Uint8Array(0)).readBit(),
    BitstreamError,
  );
  assert.throws(
    () => new BitReader(new Uint8Array(1)).readBits(33),
    RangeError,
  );
});

Deno.test("BitReader.readLeb128() decodes AV1 leb128 and caps at 8 bytes", () => {
  assert.equal(
    new BitReader(new Uint8Array([0xe5, 0x8e, 0x26])).readLeb128(),
    624485,
  );
  assert.throws(
    () => new BitReader(new Uint8Array(9).fill(0x80)).readLeb128(),
    BitstreamError,
  );
});

Deno.test("removeEmulationPrevention() strips 00 00 03 and returns a view when there is none", () => {
  const plain = new Uint8Array([0x67, 1, 2, 3]);
  assert.equal(removeEmulationPrevention(plain).buffer, plain.buffer);
  const escaped = new Uint8Array([0, 0, 3, 0, 0, 3, 3, 0, 0, 3]);
  assert.deepEqual([...removeEmulationPrevention(escaped)], [
    0,
    0,
    0,
    0,
    3,
    0,
    0,
  ]);
  assert.deepEqual([...removeEmulationPrevention(escaped, 3)], [0, 0]);
});
