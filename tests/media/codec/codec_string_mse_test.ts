// Chromium's MediaSource.isTypeSupported() validates codec strings strictly
// (it rejects e.g. av01 bit depth 09 or vp09 bit depth 07), so it checks the
// strings our parsers derive from real encoder output. This Chromium build has
// no HEVC decoder, so hvc1 strings are checked against ffmpeg output in
// h265_test.ts instead.
import assert from "node:assert/strict";
import {
  buildAudioSpecificConfig,
  buildAv1DecoderConfig,
  buildAvcDecoderConfig,
  buildVp9DecoderConfig,
  type CodecId,
  type MediaFrame,
  parseCodecConfig,
  parseVp9FrameHeader,
  splitAdts,
  splitAnnexB,
  splitAv1Obus,
  vp9DecoderConfigFromHeader,
} from "../../../media/codec/mod.ts";
import { launchChromium } from "../../_browser.ts";
import { missing } from "../../_tools.ts";
import { fixture, ivfFrames } from "./_fixtures.ts";

function config(codec: CodecId, data: Uint8Array): MediaFrame {
  const kind = codec === "aac" || codec === "opus" ? "audio" : "video";
  return {
    kind,
    codec,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data,
  };
}

function h264(name: string): string {
  const units = splitAnnexB(fixture(name));
  const sps = units.filter((u) => (u[0]! & 0x1f) === 7);
  const pps = units.filter((u) => (u[0]! & 0x1f) === 8);
  return parseCodecConfig(config("h264", buildAvcDecoderConfig({ sps, pps })))
    .codecString;
}

function mimeTypes(): string[] {
  const video = [
    ...[
      "h264_baseline",
      "h264_main",
      "h264_high",
      "h264_high422",
      "h264_high10",
      "h264_high444",
    ].map((n) => h264(`${n}.h264`)),
    ...["av1.obu", "av1_10bit.obu"].map((n) => {
      const obus = splitAv1Obus(fixture(n));
      const av1C = buildAv1DecoderConfig(obus.find((o) => o.type === 1)!.data);
      return parseCodecConfig(config("av1", av1C)).codecString;
    }),
    ...["vp9.ivf", "vp9_10bit.ivf", "vp9_444.ivf"].map((n) => {
      const header = parseVp9FrameHeader(ivfFrames(fixture(n))[0]!);
      const vpcC = buildVp9DecoderConfig(
        vp9DecoderConfigFromHeader(header, 25),
      );
      return parseCodecConfig(config("vp9", vpcC)).codecString;
    }),
  ];
  const h = splitAdts(fixture("aac_lc_stereo.aac"))[0]!.header;
  const asc = buildAudioSpecificConfig({
    objectType: h.objectType,
    sampleRate: h.sampleRate,
    channelConfiguration: h.channelConfiguration,
  });
  const audio = [parseCodecConfig(config("aac", asc)).codecString, "opus"];
  return [
    ...video.map((c) => `video/mp4; codecs="${c}"`),
    ...audio.map((c) => `audio/mp4; codecs="${c}"`),
  ];
}

Deno.test({
  name:
    "codec strings derived from encoder output are accepted by Chromium MSE",
  ignore: missing("chromium"),
  async fn() {
    const types = mimeTypes();
    assert.equal(types.length, 13);
    const controls = [
      'video/mp4; codecs="av01.0.00M.09"',
      'video/mp4; codecs="vp09.00.10.07"',
    ];
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent("<html></html>");
    // A string expression: MediaSource exists in the page, not in Deno's types.
    const results: boolean[] = await page.evaluate(
      `${
        JSON.stringify([...types, ...controls])
      }.map((t) => MediaSource.isTypeSupported(t))`,
    );
    assert.deepEqual(
      Object.fromEntries(types.map((t, i) => [t, results[i]])),
      Object.fromEntries(types.map((t) => [t, true])),
    );
    assert.deepEqual(results.slice(types.length), [false, false]); // the check discriminates
  },
});
