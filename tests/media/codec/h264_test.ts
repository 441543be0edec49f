import assert from "node:assert/strict";
import {
  buildAvcDecoderConfig,
  codecString,
  groupAccessUnits,
  h264ProfileName,
  hasH264RecoveryPoint,
  isRandomAccess,
  joinLengthPrefixed,
  parseAvcDecoderConfig,
  parseCodecConfig,
  parseH264PpsIds,
  parseH264Sps,
  splitAnnexB,
} from "../../../media/codec/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { BitstreamError } from "../../../media/stream_error.ts";
import {
  fixture,
  hex,
  mp4Box,
  packetKeyFlags,
  pixFmt,
  probe,
  rate,
} from "./_fixtures.ts";

const H264_FIXTURES = [
  "h264_baseline.h264",
  "h264_main.h264",
  "h264_high.h264",
  "h264_high422.h264",
  "h264_high10.h264",
  "h264_high444.h264",
  "h264_interlaced.h264",
  "h264_opengop.h264",
];

function video(data: Uint8Array, config: boolean): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

function parameterSets(name: string): { sps: Uint8Array; pps: Uint8Array } {
  const units = splitAnnexB(fixture(name));
  return {
    sps: units.find((u) => (u[0]! & 0x1f) === 7)!,
    pps: units.find((u) => (u[0]! & 0x1f) === 8)!,
  };
}

for (const name of H264_FIXTURES) {
  Deno.test(`parseH264Sps() matches ffprobe for ${name}`, () => {
    const sps = parseH264Sps(parameterSets(name).sps);
    const p = probe(name);
    assert.equal(h264ProfileName(sps.profile, sps.constraintFlags), p.profile);
    assert.equal(sps.level, p.level);
    assert.equal(sps.width, p.width);
    assert.equal(sps.height, p.height);
    assert.equal(pixFmt(sps.chromaFormat, sps.bitDepthLuma), p.pix_fmt);
    assert.equal(String(sps.bitDepthLuma), p.bits_per_raw_sample);
    assert.equal(`${sps.sarWidth}:${sps.sarHeight}`, p.sample_aspect_ratio);
    assert.equal(sps.frameMbsOnly, p.field_order === "progressive");
    assert.equal(
      sps.chromaSampleLocType === 0 ? "left" : "?",
      p.chroma_location,
    );
    assert.ok(Math.abs(sps.frameRate! - rate(p.r_frame_rate)) < 1e-9);
  });

  Deno.test(`isRandomAccess() agrees with ffprobe key flags for ${name}`, () => {
    const aus = groupAccessUnits(splitAnnexB(fixture(name)), "h264");
    const flags = aus.map((au) =>
      isRandomAccess(video(joinLengthPrefixed(au), false))
    );
    assert.deepEqual(flags, packetKeyFlags(name));
  });

  Deno.test(`parseCodecConfig() reads an avcC built from ${name}`, () => {
    const { sps, pps } = parameterSets(name);
    const info = parseCodecConfig(
      video(buildAvcDecoderConfig({ sps: [sps], pps: [pps] }), true),
    );
    const p = probe(name);
    assert.equal(info.codec, "h264");
    assert.equal(info.width, p.width);
    assert.equal(info.height, p.height);
    assert.equal(info.level, p.level);
    assert.equal(info.codecString, `avc1.${hex(sps.subarray(1, 4))}`);
    assert.ok(Math.abs(info.frameRate! - rate(p.r_frame_rate)) < 1e-9);
  });
}

Deno.test("buildAvcDecoderConfig() reproduces ffmpeg's avcC byte for byte", () => {
  const ffmpegAvcC = mp4Box(fixture("h264_high.mp4"), "avcC");
  const parsed = parseAvcDecoderConfig(ffmpegAvcC);
  assert.equal(parsed.profile, 100);
  assert.equal(parsed.lengthSize, 4);
  assert.equal(parsed.chromaFormat, 1);
  assert.equal(parsed.bitDepthLuma, 8);
  const { sps, pps } = parameterSets("h264_high.h264");
  assert.equal(hex(parsed.sps[0]!), hex(sps));
  assert.equal(hex(parsed.pps[0]!), hex(pps));
  assert.equal(
    hex(buildAvcDecoderConfig({ sps: [sps], pps: [pps] })),
    hex(ffmpegAvcC),
  );
});

Deno.test("parseAvcDecoderConfig() returns views, not copies", () => {
  const avcC = mp4Box(fixture("h264_high.mp4"), "avcC");
  const parsed = parseAvcDecoderConfig(avcC);
  assert.equal(parsed.sps[0]!.buffer, avcC.buffer);
});

Deno.test("parseAvcDecoderConfig() rejects truncation at every length", () => {
  const avcC = mp4Box(fixture("h264_high.mp4"), "avcC");
  for (let n = 0; n < 11 + 24; n++) {
    assert.throws(
      () => parseAvcDecoderConfig(avcC.subarray(0, n)),
      BitstreamError,
    );
  }
});

Deno.test("parseH264PpsIds() reads pps and sps ids", () => {
  assert.deepEqual(parseH264PpsIds(parameterSets("h264_main.h264").pps), {
    id: 0,
    spsId: 0,
  });
});

Deno.test("parseH264Sps() rejects truncated SPS with BitstreamError", () => {
  const { sps } = parameterSets("h264_high10.h264");
  for (let n = 0; n < 8; n++) {
    assert.throws(() => parseH264Sps(sps.subarray(0, n)), BitstreamError);
  }
});

Deno.test("parseH264Sps() applies frame cropping (176x100 is coded as 176x112)", () => {
  const sps = parseH264Sps(parameterSets("h264_main.h264").sps);
  assert.equal(sps.height, 100);
});

Deno.test("isRandomAccess() treats a recovery-point SEI as random access", () => {
  // SEI: payloadType 6 (recovery point), size 1, recovery_frame_cnt 0 … then a non-IDR slice
  const sample = joinLengthPrefixed([
    new Uint8Array([0x06, 0x06, 0x01, 0xc4, 0x80]),
    new Uint8Array([0x41, 0x9a, 0x00]),
  ]);
  assert.ok(isRandomAccess(video(sample, false)));
  const userData = joinLengthPrefixed([
    new Uint8Array([0x06, 0x05, 0x01, 0x00, 0x80]),
    new Uint8Array([0x41, 0x9a, 0x00]),
  ]);
  assert.ok(!isRandomAccess(video(userData, false)));
});

Deno.test("codecString() matches the avc1 string ffmpeg's HLS muxer writes for the same encoder settings", () => {
  const master = new TextDecoder().decode(fixture("h264_aac_master.m3u8"));
  const expected = /CODECS="(avc1\.[0-9a-f]{6})/.exec(master)![1];
  const { sps, pps } = parameterSets("h264_main.h264");
  const avcC = buildAvcDecoderConfig({ sps: [sps], pps: [pps] });
  assert.equal(codecString(video(avcC, true)), expected);
});

Deno.test("hasH264RecoveryPoint() walks past a payloadType of 128 and stops at the trailing bits", () => {
  // payloadType 128 (size 1), then recovery point (type 6, size 1), then rbsp trailing bits
  assert.ok(
    hasH264RecoveryPoint(
      new Uint8Array([0x06, 0x80, 0x01, 0x00, 0x06, 0x01, 0xc4, 0x80]),
    ),
  );
  assert.ok(
    !hasH264RecoveryPoint(new Uint8Array([0x06, 0x80, 0x01, 0x00, 0x80])),
  );
  // payloadType 255 + 7 = 262 (extension bytes), then recovery point
  assert.ok(
    hasH264RecoveryPoint(
      new Uint8Array([0x06, 0xff, 0x07, 0x00, 0x06, 0x01, 0xc4, 0x80]),
    ),
  );
});

Deno.test("isRandomAccess() finds x264 open-GOP recovery points that are not IDR", () => {
  const aus = groupAccessUnits(
    splitAnnexB(fixture("h264_opengop.h264")),
    "h264",
  );
  const idr = aus.map((au) => au.some((u) => (u[0]! & 0x1f) === 5));
  const keys = aus.map((au) =>
    isRandomAccess(video(joinLengthPrefixed(au), false))
  );
  assert.deepEqual(idr.filter(Boolean).length, 1);
  assert.ok(keys.filter(Boolean).length >= 3);
  assert.deepEqual(keys, packetKeyFlags("h264_opengop.h264"));
});
