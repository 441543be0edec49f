import assert from "node:assert/strict";
import { ffprobe, missing } from "../../_tools.ts";
import { fixturePath, probe } from "./_fixtures.ts";

// The codec tests compare parsed fields with the committed ffprobe JSON; this
// test re-runs ffprobe to prove that JSON is current for this FFmpeg.
const FIXTURES = [
  "h264_baseline.h264",
  "h264_main.h264",
  "h264_high.h264",
  "h264_high422.h264",
  "h264_high10.h264",
  "h264_high444.h264",
  "h264_interlaced.h264",
  "h264_opengop.h264",
  "h265_main.h265",
  "h265_main10.h265",
  "h265_rext444.h265",
  "av1.obu",
  "av1_10bit.obu",
  "av1.ivf",
  "vp9.ivf",
  "vp9_10bit.ivf",
  "vp9_444.ivf",
  "aac_lc_stereo.aac",
  "aac_lc_mono.aac",
  "opus_stereo.ogg",
];

const FIELDS = [
  "codec_name",
  "profile",
  "level",
  "width",
  "height",
  "pix_fmt",
  "r_frame_rate",
  "field_order",
  "sample_rate",
  "channels",
  "color_range",
  "chroma_location",
];

Deno.test({
  name: "committed ffprobe JSON matches a live ffprobe run on every fixture",
  ignore: missing("ffprobe"),
  async fn() {
    const results = await Promise.all(
      FIXTURES.map((name) => ffprobe(fixturePath(name))),
    );
    for (const [i, name] of FIXTURES.entries()) {
      const live = results[i]!.streams[0]!;
      const committed = probe(name);
      for (const field of FIELDS) {
        assert.deepEqual(live[field], committed[field], `${name}: ${field}`);
      }
    }
  },
});
