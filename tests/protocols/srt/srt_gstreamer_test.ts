// Interop with GStreamer's srtsink/srtsrc (libsrt): GStreamer publishes
// H.264 in MPEG-TS (x264enc ! mpegtsmux ! srtsink), GStreamer reads it back
// (srtsrc ! filesink) and ffprobe decodes the recording, with and without a passphrase.
import assert from "node:assert/strict";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { finish, startSrtOrigin, stop, until } from "./_srt_fixture.ts";

function gst(args: string[]): Deno.ChildProcess {
  return new Deno.Command("gst-launch-1.0", {
    args: ["-q", "-e", ...args],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

for (const passphrase of [undefined, "gstreamer-secret"]) {
  Deno.test({
    name: `GStreamer srtsink publishes and srtsrc reads (${
      passphrase ? "encrypted" : "clear"
    }); ffprobe decodes the recording`,
    ignore: missing("gst-launch-1.0", "ffprobe"),
    async fn() {
      await using dir = await tempDir("arcly-srt-gst-");
      await using origin = await startSrtOrigin(
        passphrase ? { passphrase } : {},
      );
      const secret = passphrase ? [`passphrase=${passphrase}`] : [];
      const pub = gst([
        "videotestsrc",
        "is-live=true",
        "!",
        "video/x-raw,width=320,height=240,framerate=30/1",
        "!",
        "x264enc",
        "tune=zerolatency",
        "key-int-max=30",
        "speed-preset=veryfast",
        "!",
        "h264parse",
        "config-interval=-1",
        "!",
        "mpegtsmux",
        "alignment=7", // 7 × 188 = one SRT live payload per buffer
        "!",
        "srtsink",
        `uri=srt://127.0.0.1:${origin.port}`,
        "streamid=publish:live/gst",
        "latency=200",
        ...secret,
      ]);
      try {
        await until(
          () => (origin.engine.getStream("live/gst")?.qos().framesIn ?? 0) > 30,
          30_000,
          "frames",
        );
        const out = `${dir.path}/read.ts`;
        const reader = gst([
          "srtsrc",
          `uri=srt://127.0.0.1:${origin.port}`,
          "streamid=read:live/gst",
          ...secret,
          "!",
          "filesink",
          `location=${out}`,
        ]);
        await new Promise((r) => setTimeout(r, 4000));
        const r = await stop(reader);
        assert.ok(!/ERROR|error/.test(r.stderr), r.stderr);
        const probe = await ffprobe(out, ["-count_frames"]);
        const video = probe.streams.find((s) => s.codec_type === "video")!;
        assert.equal(video.codec_name, "h264");
        assert.ok(
          Number(video.nb_read_frames) >= 45,
          `frames ${video.nb_read_frames}`,
        );
        assert.equal(origin.srt.stats.garbage, 0);
      } finally {
        const r = await stop(pub);
        assert.ok(!/ERROR/.test(r.stderr), r.stderr);
      }
    },
  });
}

Deno.test({
  name: "GStreamer with a wrong passphrase is refused",
  ignore: missing("gst-launch-1.0"),
  async fn() {
    await using origin = await startSrtOrigin({
      passphrase: "gstreamer-secret",
    });
    const pub = gst([
      "videotestsrc",
      "is-live=true",
      "num-buffers=60",
      "!",
      "x264enc",
      "tune=zerolatency",
      "!",
      "mpegtsmux",
      "alignment=7",
      "!",
      "srtsink",
      `uri=srt://127.0.0.1:${origin.port}`,
      "streamid=publish:live/gst",
      "passphrase=not-the-secret",
    ]);
    const r = await finish(pub, 15_000);
    assert.notEqual(r.code, 0);
    assert.equal(origin.engine.getStream("live/gst"), undefined);
    assert.ok(origin.srt.stats.rejected >= 1);
  },
});
