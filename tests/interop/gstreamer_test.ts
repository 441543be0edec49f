// GStreamer 1.22 as a client of a live stream (issue 20's interop suite):
// playbin3 on the HLS playlist (fMP4 and TS), rtmp2src on RTMP and
// souphttpsrc ! flvdemux on HTTP-FLV, all decoding (avdec_h264/aac) to
// fakesinks. Each must play to the end of the stream (EOS after the
// publisher leaves), exit 0 and print no ERROR.
import assert from "node:assert/strict";
import { missing, run } from "../_tools.ts";
import { encodeClip } from "./_media.ts";
import { publishRealtime, startOrigin } from "./_origin.ts";

const DECODE_FLV =
  "flvdemux name=d d.video ! queue ! h264parse ! avdec_h264 ! fakesink sync=false d.audio ! queue ! aacparse ! avdec_aac ! fakesink sync=false";

/** gst-launch-1.0 with `-m` (bus messages), bounded. */
function gst(pipeline: string): Promise<{ code: number; out: string }> {
  return run("gst-launch-1.0", ["-m", ...pipeline.split(" ")], {
    timeoutMs: 25_000,
  }).then((r) => ({ code: r.code, out: r.stdout + r.stderr }));
}

for (const format of ["fmp4", "ts"] as const) {
  Deno.test({
    name:
      `GStreamer (${format} HLS via playbin3, RTMP via rtmp2src, HTTP-FLV via souphttpsrc ! flvdemux) plays a live stream to its end`,
    ignore: missing("gst-launch-1.0", "ffmpeg"),
    async fn() {
      const frames = await encodeClip({
        width: 320,
        height: 240,
        fps: 30,
        seconds: 8,
      });
      await using origin = await startOrigin({ hls: { format } });
      const publishing = publishRealtime(origin.rtmpUrl, "gst", frames);
      const playlist = `${origin.httpUrl}/live/gst/index.m3u8`;
      while (origin.engine.getStream("live/gst") === undefined) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const port = new URL(origin.rtmpUrl).port;
      const runs: Record<string, Promise<{ code: number; out: string }>> = {
        rtmp2src: gst(
          `rtmp2src location=rtmp://127.0.0.1:${port}/live/gst ! ${DECODE_FLV}`,
        ),
        flvdemux: gst(
          `souphttpsrc location=${origin.httpUrl}/live/gst.flv ! ${DECODE_FLV}`,
        ),
      };
      // playbin3 joins once the playlist lists two segments.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const text = await (await fetch(playlist)).text();
        if ((text.match(/#EXTINF/g)?.length ?? 0) >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      runs.playbin3 = gst(
        `playbin3 uri=${playlist} video-sink=fakesink audio-sink=fakesink`,
      );
      await publishing;
      for (const [name, result] of Object.entries(runs)) {
        const { code, out } = await result;
        assert.doesNotMatch(out, /\bERROR\b/, `${name}: ${out.slice(-2000)}`);
        assert.match(
          out,
          /new-state=\(GstState\)playing/,
          `${name} prerolled (decoded) and played`,
        );
        assert.match(out, /EOS/, `${name} reached the end of the stream`);
        assert.equal(code, 0, `${name} exit code`);
      }
    },
  });
}
