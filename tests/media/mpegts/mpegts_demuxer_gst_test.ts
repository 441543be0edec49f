// MpegTsDemuxer on TS made by GStreamer's mpegtsmux (x264enc/x265enc,
// avenc_aac/opusenc/lamemp3enc): frames and timestamps match ffprobe's packet
// list and the remuxed frames decode in ffmpeg with zero errors.
import assert from "node:assert/strict";
import { missing, run, tempDir } from "../../_tools.ts";
import { demuxAll } from "./_demux_helpers.ts";
import { assertDecodesClean, probePackets } from "./_demux_interop.ts";

const VIDEO =
  "videotestsrc num-buffers=50 ! video/x-raw,width=160,height=120,framerate=25/1";
const AUDIO = "audiotestsrc num-buffers=94 ! audio/x-raw,rate=48000,channels=2";

const CASES = [
  {
    name: "x264enc (B-frames) + avenc_aac",
    video:
      "x264enc bframes=2 key-int-max=25 speed-preset=ultrafast ! h264parse",
    audio: "avenc_aac ! aacparse",
    remux: "flv",
    codecs: ["h264", "aac"],
  },
  {
    name: "x265enc + opusenc",
    video: "x265enc key-int-max=25 speed-preset=ultrafast ! h265parse",
    audio: "opusenc ! opusparse",
    remux: "mp4",
    codecs: ["h265", "opus"],
  },
  {
    name: "x264enc + lamemp3enc",
    video: "x264enc key-int-max=25 speed-preset=ultrafast ! h264parse",
    audio: "lamemp3enc ! mpegaudioparse",
    remux: "flv",
    codecs: ["h264", "mp3"],
  },
] as const;

for (const c of CASES) {
  Deno.test({
    name: `demuxer interop: GStreamer mpegtsmux, ${c.name}`,
    ignore: missing("gst-launch-1.0", "ffprobe", "ffmpeg"),
    async fn() {
      await using dir = await tempDir();
      const path = `${dir.path}/gst.ts`;
      const pipeline =
        `${VIDEO} ! ${c.video} ! mpegtsmux name=m ! filesink location=${path} ${AUDIO} ! ${c.audio} ! m.`;
      const r = await run("gst-launch-1.0", ["-q", ...pipeline.split(" ")], {
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, r.stderr);
      const { frames, events } = demuxAll(await Deno.readFile(path), 1316);
      assert.deepEqual(events.filter((e) => e.type !== "programChanged"), []);
      assert.deepEqual(
        [...new Set(frames.map((f) => f.codec))].sort(),
        [...c.codecs].sort(),
      );
      const packets = await probePackets(path);
      for (const kind of ["video", "audio"] as const) {
        const ours = frames.filter((f) => f.kind === kind && !f.config);
        const theirs = packets.filter((p) => p.codec_type === kind);
        assert.equal(ours.length, theirs.length, `${kind} count vs ffprobe`);
        assert.ok(ours.length >= 40, `${kind}: ${ours.length} frames`);
        ours.forEach((f, i) => {
          assert.equal(f.pts, theirs[i]!.pts, `${kind} #${i} pts`);
          assert.equal(f.dts, theirs[i]!.dts, `${kind} #${i} dts`);
          assert.equal(f.keyframe, theirs[i]!.keyframe, `${kind} #${i} key`);
        });
      }
      await assertDecodesClean(frames, `${dir.path}/out.${c.remux}`, c.remux);
    },
  });
}
