import assert from "node:assert/strict";
import {
  av1CodecString,
  buildAv1DecoderConfig,
  buildVp9DecoderConfig,
  isRandomAccess,
  parseAv1DecoderConfig,
  parseAv1SequenceHeader,
  parseCodecConfig,
  parseVp9DecoderConfig,
  parseVp9FrameHeader,
  splitAv1Obus,
  splitVp9Superframe,
  vp9CodecString,
  vp9DecoderConfigFromHeader,
} from "../../../media/codec/mod.ts";
import type { CodecId, MediaFrame } from "../../../media/frame.ts";
import { BitstreamError } from "../../../media/stream_error.ts";
import {
  fixture,
  hex,
  ivfFrames,
  mp4Box,
  packetKeyFlags,
  pixFmt,
  probe,
  rate,
} from "./_fixtures.ts";

function video(codec: CodecId, data: Uint8Array, config: boolean): MediaFrame {
  return {
    kind: "video",
    codec,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

/** Temporal units of a Section 5 stream: split at each temporal delimiter. */
function temporalUnits(data: Uint8Array): Uint8Array[] {
  const obus = splitAv1Obus(data);
  const starts = obus.filter((o) => o.type === 2).map((o) =>
    o.data.byteOffset - data.byteOffset
  );
  return starts.map((s, i) => data.subarray(s, starts[i + 1] ?? data.length));
}

function sequenceHeaderObu(name = "av1.obu"): Uint8Array {
  return splitAv1Obus(fixture(name)).find((o) => o.type === 1)!.data;
}

for (const name of ["av1", "av1_10bit"]) {
  Deno.test(`parseAv1SequenceHeader() matches ffprobe for ${name}.obu`, () => {
    const obu = splitAv1Obus(sequenceHeaderObu(`${name}.obu`))[0]!;
    const seq = parseAv1SequenceHeader(obu.payload);
    const p = probe(`${name}.obu`);
    assert.equal(["Main", "High", "Professional"][seq.profile], p.profile);
    assert.equal(seq.level, p.level);
    assert.equal(seq.width, p.width);
    assert.equal(seq.height, p.height);
    const chroma = seq.monochrome
      ? 0
      : seq.subsamplingX
      ? (seq.subsamplingY ? 1 : 2)
      : 3;
    assert.equal(pixFmt(chroma, seq.bitDepth), p.pix_fmt);
    assert.equal(seq.fullRange ? "pc" : "tv", p.color_range);
  });

  Deno.test(`buildAv1DecoderConfig() reproduces ffmpeg's av1C byte for byte (${name})`, () => {
    const ffmpegAv1C = mp4Box(fixture(`${name}.mp4`), "av1C");
    const obu = sequenceHeaderObu(`${name}.obu`);
    assert.equal(hex(buildAv1DecoderConfig(obu)), hex(ffmpegAv1C));
    const parsed = parseAv1DecoderConfig(ffmpegAv1C);
    assert.equal(parsed.bitDepth, name === "av1" ? 8 : 10);
    assert.equal(parsed.subsamplingX, 1);
    assert.equal(hex(parsed.configObus), hex(obu));
  });

  Deno.test(`isRandomAccess() agrees with ffprobe key flags for ${name}.obu`, () => {
    const flags = temporalUnits(fixture(`${name}.obu`)).map((tu) =>
      isRandomAccess(video("av1", tu, false))
    );
    assert.deepEqual(flags, packetKeyFlags(`${name}.obu`));
  });
}

Deno.test("isRandomAccess() agrees with ffprobe key flags for AV1 in IVF", () => {
  const flags = ivfFrames(fixture("av1.ivf")).map((tu) =>
    isRandomAccess(video("av1", tu, false))
  );
  assert.deepEqual(flags, packetKeyFlags("av1.ivf"));
});

Deno.test("parseCodecConfig() reads a 10-bit av1C as av01.0.00M.10", () => {
  const info = parseCodecConfig(
    video("av1", mp4Box(fixture("av1_10bit.mp4"), "av1C"), true),
  );
  assert.equal(info.codecString, "av01.0.00M.10");
  assert.equal(info.bitDepth, 10);
  assert.equal(info.width, 64);
  assert.equal(info.height, 48);
});

Deno.test("parseCodecConfig() reads av1C: size, level and the av01 codec string", () => {
  const info = parseCodecConfig(
    video("av1", mp4Box(fixture("av1.mp4"), "av1C"), true),
  );
  assert.equal(info.width, 64);
  assert.equal(info.height, 64);
  assert.equal(info.level, probe("av1.mp4").level);
  assert.equal(info.codecString, "av01.0.00M.08");
});

Deno.test("isRandomAccess() agrees with ffprobe key flags for av1.obu", () => {
  const flags = temporalUnits(fixture("av1.obu")).map((tu) =>
    isRandomAccess(video("av1", tu, false))
  );
  assert.deepEqual(flags, packetKeyFlags("av1.obu"));
});

Deno.test("av1CodecString() writes the long form for non-default colour", () => {
  assert.equal(
    av1CodecString({
      profile: 0,
      level: 13,
      tier: true,
      bitDepth: 10,
      colourPrimaries: 9,
      transferCharacteristics: 16,
      matrixCoefficients: 9,
      fullRange: false,
    }),
    "av01.0.13H.10.0.110.09.16.09.0",
  );
});

for (const name of ["vp9.ivf", "vp9_10bit.ivf", "vp9_444.ivf"]) {
  Deno.test(`parseVp9FrameHeader() matches ffprobe for ${name}`, () => {
    const header = parseVp9FrameHeader(ivfFrames(fixture(name))[0]!);
    const p = probe(name);
    assert.ok(header.keyFrame);
    assert.equal(`Profile ${header.profile}`, p.profile);
    assert.equal(header.width, p.width);
    assert.equal(header.height, p.height);
    const chroma = header.subsamplingX ? (header.subsamplingY ? 1 : 2) : 3;
    assert.equal(pixFmt(chroma, header.bitDepth), p.pix_fmt);
    assert.equal(header.fullRange ? "pc" : "tv", p.color_range);
  });

  Deno.test(`isRandomAccess() agrees with ffprobe key flags for ${name}`, () => {
    const flags = ivfFrames(fixture(name)).map((f) =>
      isRandomAccess(video("vp9", f, false))
    );
    assert.deepEqual(flags, packetKeyFlags(name));
  });
}

for (
  const [name, expected] of [["vp9", "vp09.00.10.08"], [
    "vp9_444",
    "vp09.01.10.08.03.02.02.02.00",
  ]]
) {
  Deno.test(`buildVp9DecoderConfig() reproduces ffmpeg's vpcC byte for byte (${name})`, () => {
    const ffmpegVpcC = mp4Box(fixture(`${name}.mp4`), "vpcC");
    const header = parseVp9FrameHeader(ivfFrames(fixture(`${name}.ivf`))[0]!);
    const config = vp9DecoderConfigFromHeader(
      header,
      rate(probe(`${name}.ivf`).r_frame_rate),
    );
    assert.equal(hex(buildVp9DecoderConfig(config)), hex(ffmpegVpcC));
    assert.deepEqual(parseVp9DecoderConfig(ffmpegVpcC), config);
    assert.equal(vp9CodecString(config), expected);
    assert.equal(
      parseCodecConfig(video("vp9", ffmpegVpcC, true)).codecString,
      expected,
    );
  });
}

Deno.test("splitVp9Superframe() splits a two-frame superframe by its index", () => {
  const a = [0x86, 1, 2];
  const b = [0x82, 0x49, 0x83, 0x42, 0, 0, 0];
  const index = [0xc1, 3, 7, 0xc1]; // 2 frames, 1 byte per size
  const parts = splitVp9Superframe(new Uint8Array([...a, ...b, ...index]));
  assert.deepEqual(parts.map((p) => [...p]), [a, b]);
});

Deno.test("AV1 and VP9 parsers reject malformed input with BitstreamError", () => {
  assert.throws(() => splitAv1Obus(new Uint8Array([0x8a, 0])), BitstreamError); // forbidden bit
  assert.throws(
    () => splitAv1Obus(new Uint8Array([0x0a, 5, 1])),
    BitstreamError,
  ); // size too big
  assert.throws(
    () => parseAv1DecoderConfig(new Uint8Array([0x01, 0, 0, 0])),
    BitstreamError,
  );
  assert.throws(
    () => parseVp9FrameHeader(new Uint8Array([0x02])),
    BitstreamError,
  );
  assert.throws(
    () => parseVp9FrameHeader(new Uint8Array([0x82, 0x49, 0x83, 0x43, 0, 0])),
    BitstreamError,
  );
  const seq = splitAv1Obus(sequenceHeaderObu())[0]!.payload;
  for (let n = 0; n < seq.length - 1; n++) {
    assert.throws(
      () => parseAv1SequenceHeader(seq.subarray(0, n)),
      BitstreamError,
    );
  }
});
