import assert from "node:assert/strict";
import {
  isRandomAccess,
  isVvcRandomAccessType,
  joinLengthPrefixed,
  parseCodecConfig,
  parseVvcDecoderConfig,
  parseVvcSps,
  vvcCodecString,
  vvcNalType,
} from "../../../media/codec/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { BitstreamError } from "../../../media/stream_error.ts";

// No VVC encoder ships with FFmpeg 5.1, so these bitstreams are written by
// hand from ITU-T H.266 §7.3 syntax tables.

function bits(...fields: string[]): Uint8Array {
  const s = fields.join("");
  const out = new Uint8Array(Math.ceil(s.length / 8));
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "1") out[i >> 3]! |= 0x80 >> (i & 7);
  }
  return out;
}
const u = (n: number, v: number) => v.toString(2).padStart(n, "0");
function ue(v: number): string {
  const b = (v + 1).toString(2);
  return "0".repeat(b.length - 1) + b;
}

/** SPS: Main 10 (profile 1), level 83 (5.1), 1920x1080 (coded 1920x1088, window bottom 4), 10-bit. */
const SPS = new Uint8Array([
  0x00,
  0x79, // forbidden 0, reserved 0, layer 0, type 15 (SPS), tid+1 = 1
  ...bits(
    u(4, 0),
    u(4, 0),
    u(3, 0),
    u(2, 1),
    u(2, 2),
    "1", // ids, sublayers, 4:2:0, ctu, ptl present
    u(7, 1),
    "0",
    u(8, 83),
    "1",
    "0",
    "0",
    "00000", // profile, tier, level, flags, gci absent, align
    u(8, 0), // ptl_num_sub_profiles
    "0",
    "0",
    ue(1920),
    ue(1088),
    "1",
    ue(0),
    ue(0),
    ue(0),
    ue(4), // size + window
    "0",
    ue(2),
    "1", // no subpictures, bitdepth_minus8 = 2, stop bit
  ),
]);

function video(data: Uint8Array, config: boolean): MediaFrame {
  return {
    kind: "video",
    codec: "vvc",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

Deno.test("parseVvcSps() reads ids, profile/tier/level, cropped size and bit depth", () => {
  const sps = parseVvcSps(SPS);
  assert.deepEqual(sps, {
    id: 0,
    vpsId: 0,
    maxSubLayers: 1,
    chromaFormat: 1,
    profile: 1,
    tier: false,
    level: 83,
    width: 1920,
    height: 1080,
    bitDepth: 10,
  });
  assert.equal(vvcCodecString(sps), "vvc1.1.L83");
});

Deno.test("parseCodecConfig() reads a vvcC record without PTL from its SPS", () => {
  const vvcC = new Uint8Array([
    0xfe, // reserved 11111, lengthSizeMinusOne 3, ptl_present 0
    1, // num_of_arrays
    0x80 | 15,
    0,
    1,
    0,
    SPS.length,
    ...SPS,
  ]);
  const parsed = parseVvcDecoderConfig(vvcC);
  assert.equal(parsed.lengthSize, 4);
  assert.equal(parsed.arrays[0]!.nalType, 15);
  const info = parseCodecConfig(video(vvcC, true));
  assert.equal(info.codecString, "vvc1.1.L83");
  assert.equal(info.width, 1920);
  assert.equal(info.height, 1080);
});

Deno.test("parseVvcDecoderConfig() reads the native PTL record", () => {
  const vvcC = new Uint8Array([
    0xff, // lengthSize 4, ptl_present 1
    0x00,
    0x11, // ols_idx 0, num_sublayers 1, cfr 0, chroma 1
    0x5f, // bit_depth_minus8 2, reserved
    0x01, // num_bytes_constraint_info 1
    0x02, // profile 1, tier 0
    83, // level
    0x80, // frame_only 1, multilayer 0, 6 bits of gci
    0, // ptl_num_sub_profiles
    0x07,
    0x80,
    0x04,
    0x38,
    0,
    0, // 1920x1080, avg_frame_rate 0
    0, // no arrays
  ]);
  const config = parseVvcDecoderConfig(vvcC);
  assert.equal(config.profile, 1);
  assert.equal(config.level, 83);
  assert.equal(config.bitDepth, 10);
  assert.equal(config.chromaFormat, 1);
  assert.equal(config.width, 1920);
  assert.equal(config.height, 1080);
  for (let n = 1; n < vvcC.length; n++) {
    assert.throws(
      () => parseVvcDecoderConfig(vvcC.subarray(0, n)),
      BitstreamError,
    );
  }
});

Deno.test("isRandomAccess() marks VVC IDR, CRA and GDR samples", () => {
  const slice = (type: number) => new Uint8Array([0x00, (type << 3) | 1, 0x80]);
  for (let type = 0; type < 32; type++) {
    const sample = joinLengthPrefixed([slice(type)]);
    assert.equal(isRandomAccess(video(sample, false)), type >= 7 && type <= 10);
    assert.equal(vvcNalType(slice(type)), type);
    assert.equal(isVvcRandomAccessType(type), type >= 7 && type <= 10);
  }
});

Deno.test("parseVvcSps() rejects truncation with BitstreamError", () => {
  for (let n = 0; n < 8; n++) {
    assert.throws(() => parseVvcSps(SPS.subarray(0, n)), BitstreamError);
  }
});
