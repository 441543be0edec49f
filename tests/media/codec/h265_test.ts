import assert from "node:assert/strict";
import {
  buildHevcDecoderConfig,
  codecString,
  groupAccessUnits,
  h265NalType,
  hevcCodecString,
  isH265IrapType,
  isRandomAccess,
  joinLengthPrefixed,
  parseCodecConfig,
  parseH265Pps,
  parseH265Sps,
  parseH265Vps,
  parseHevcDecoderConfig,
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

const PROFILE_NAMES: Record<number, string> = {
  1: "Main",
  2: "Main 10",
  3: "Main Still Picture",
  4: "Rext",
};

function video(data: Uint8Array, config: boolean): MediaFrame {
  return {
    kind: "video",
    codec: "h265",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

function sets(name: string): Record<"vps" | "sps" | "pps", Uint8Array> {
  const units = splitAnnexB(fixture(name));
  const of = (type: number) => units.find((u) => h265NalType(u) === type)!;
  return { vps: of(32), sps: of(33), pps: of(34) };
}

for (
  const name of ["h265_main.h265", "h265_main10.h265", "h265_rext444.h265"]
) {
  Deno.test(`parseH265Sps() matches ffprobe for ${name}`, () => {
    const sps = parseH265Sps(sets(name).sps);
    const p = probe(name);
    assert.equal(PROFILE_NAMES[sps.profile], p.profile);
    assert.equal(sps.level, p.level);
    assert.equal(sps.width, p.width);
    assert.equal(sps.height, p.height);
    assert.equal(pixFmt(sps.chromaFormat, sps.bitDepthLuma), p.pix_fmt);
    assert.equal(sps.fullRange ? "pc" : "tv", p.color_range);
    if (p.chroma_location !== undefined) {
      assert.equal(
        sps.chromaSampleLocType === 0 ? "left" : "?",
        p.chroma_location,
      );
    }
    assert.ok(Math.abs(sps.frameRate! - rate(p.r_frame_rate)) < 1e-9);
  });

  Deno.test(`parseH265Vps() and parseH265Sps() agree on profile/tier/level for ${name}`, () => {
    const { vps, sps, pps } = sets(name);
    const v = parseH265Vps(vps);
    const s = parseH265Sps(sps);
    assert.equal(v.profile, s.profile);
    assert.equal(v.level, s.level);
    assert.equal(v.compatibilityFlags, s.compatibilityFlags);
    assert.deepEqual(parseH265Pps(pps).spsId, s.id);
  });

  Deno.test(`isRandomAccess() agrees with ffprobe key flags for ${name}`, () => {
    const aus = groupAccessUnits(splitAnnexB(fixture(name)), "h265");
    const flags = aus.map((au) =>
      isRandomAccess(video(joinLengthPrefixed(au), false))
    );
    assert.deepEqual(flags, packetKeyFlags(name));
  });

  Deno.test(`parseCodecConfig() reads an hvcC built from ${name}`, () => {
    const s = sets(name);
    const hvcC = buildHevcDecoderConfig({
      vps: [s.vps],
      sps: [s.sps],
      pps: [s.pps],
    });
    const info = parseCodecConfig(video(hvcC, true));
    const p = probe(name);
    assert.equal(info.width, p.width);
    assert.equal(info.height, p.height);
    assert.equal(info.level, p.level);
    assert.equal(pixFmt(info.chromaFormat!, info.bitDepth!), p.pix_fmt);
    assert.ok(Math.abs(info.frameRate! - rate(p.r_frame_rate)) < 1e-9);
  });
}

for (const name of ["h265_main", "h265_rext444"]) {
  Deno.test(`buildHevcDecoderConfig() reproduces ffmpeg's hvcC byte for byte (${name})`, () => {
    const ffmpegHvcC = mp4Box(fixture(`${name}.mp4`), "hvcC");
    const s = sets(`${name}.h265`);
    const built = buildHevcDecoderConfig({
      vps: [s.vps],
      sps: [s.sps],
      pps: [s.pps],
    });
    assert.equal(hex(built), hex(ffmpegHvcC));
  });
}

Deno.test("parseHevcDecoderConfig() reads ffmpeg's hvcC", () => {
  const ffmpegHvcC = mp4Box(fixture("h265_main.mp4"), "hvcC");
  const s = sets("h265_main.h265");
  const parsed = parseHevcDecoderConfig(ffmpegHvcC);
  assert.deepEqual(parsed.arrays.map((a) => a.nalType), [32, 33, 34]);
  assert.equal(hex(parsed.arrays[1]!.nalus[0]!), hex(s.sps));
  assert.equal(parsed.numTemporalLayers, 1);
  assert.ok(parsed.temporalIdNested);
  assert.equal(parsed.lengthSize, 4);
});

Deno.test("hevcCodecString() writes the full hvc1 form for x265 main and main10", () => {
  const main = parseH265Sps(sets("h265_main.h265").sps);
  assert.equal(hevcCodecString(main), "hvc1.1.6.L30.90");
  const main10 = parseH265Sps(sets("h265_main10.h265").sps);
  assert.equal(hevcCodecString(main10), "hvc1.2.4.L30.90");
  // Main 4:4:4 (RExt): compatibility flag 4, constraint bytes 9E 08 (max 8-bit, lower bit rate).
  const rext = parseH265Sps(sets("h265_rext444.h265").sps);
  assert.equal(hevcCodecString(rext), "hvc1.4.10.L30.9E.8");
  assert.equal(
    hevcCodecString(main, { sampleEntry: "hev1" }),
    "hev1.1.6.L30.90",
  );
  const s = sets("h265_main.h265");
  const hvcC = buildHevcDecoderConfig({
    vps: [s.vps],
    sps: [s.sps],
    pps: [s.pps],
  });
  assert.equal(codecString(video(hvcC, true)), "hvc1.1.6.L30.90");
});

Deno.test("hevcCodecString() covers profile space, high tier and zero middle bytes", () => {
  const constraintFlags = new Uint8Array([0xb0, 0, 0x01, 0, 0, 0]);
  assert.equal(
    hevcCodecString({
      profileSpace: 1,
      profile: 4,
      compatibilityFlags: 0x08000000,
      tier: true,
      level: 120,
      constraintFlags,
    }),
    "hvc1.A4.10.H120.B0.0.1",
  );
});

Deno.test("IRAP classification covers BLA, IDR and CRA only", () => {
  for (let t = 0; t < 64; t++) {
    assert.equal(isH265IrapType(t), t >= 16 && t <= 23);
  }
});

Deno.test("H.265 parameter-set parsers reject truncation with BitstreamError", () => {
  const s = sets("h265_main10.h265");
  for (
    const [parse, unit] of [
      [parseH265Sps, s.sps],
      [parseH265Vps, s.vps],
    ] as const
  ) {
    for (let n = 0; n < 12; n++) {
      assert.throws(() => parse(unit.subarray(0, n)), BitstreamError);
    }
  }
  const hvcC = mp4Box(fixture("h265_main.mp4"), "hvcC");
  for (let n = 0; n < hvcC.length; n += 7) {
    assert.throws(
      () => parseHevcDecoderConfig(hvcC.subarray(0, n)),
      BitstreamError,
    );
  }
});
