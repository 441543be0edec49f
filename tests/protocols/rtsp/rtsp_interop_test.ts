// RTSP against real peers: ffmpeg publishes (RECORD over TCP and UDP),
// ffmpeg/ffprobe play back over RTSP (TCP and UDP), HTTP-FLV and RTMP; an
// RTMP-published stream plays over RTSP in ffprobe and GStreamer rtspsrc.
import assert from "node:assert/strict";
import { missing } from "../../_tools.ts";
import {
  decodeErrors,
  probeFrames,
  publishTestPattern,
  spawn,
  startOrigin,
  until,
} from "./_rtsp_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "rtsp interop: ffmpeg publishes over RTSP/TCP; ffprobe and ffmpeg play it over RTSP TCP and UDP, HTTP-FLV and RTMP with zero errors",
  ignore: missing("ffmpeg", "ffprobe"),
  ...opts,
  async fn() {
    await using origin = await startOrigin();
    await using _pub = publishTestPattern(
      "rtsp-tcp",
      `${origin.rtspUrl}/live/cam`,
    );
    await until(
      () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const url = `${origin.rtspUrl}/live/cam`;
    for (const transport of ["tcp", "udp"]) {
      const probe = await probeFrames(url, ["-rtsp_transport", transport]);
      assert.deepEqual(
        probe.codecs.sort(),
        ["aac", "h264"],
        `${transport}: ${probe.stderr}`,
      );
      assert.ok(
        probe.video >= 40,
        `${transport}: ${probe.video} video frames in 3 s`,
      );
      assert.ok(
        probe.audio >= 60,
        `${transport}: ${probe.audio} audio frames in 3 s`,
      );
      const decoded = await decodeErrors(url, ["-rtsp_transport", transport]);
      assert.equal(decoded.code, 0);
      assert.equal(decoded.stderr.trim(), "", `${transport} decode errors`);
    }
    const flv = await probeFrames(`${origin.httpUrl}/live/cam.flv`);
    assert.ok(
      flv.video >= 40 && flv.audio >= 60,
      `http-flv ${JSON.stringify(flv)}`,
    );
    const rtmp = await probeFrames(`${origin.rtmpUrl}/live/cam`);
    assert.ok(
      rtmp.video >= 40 && rtmp.audio >= 60,
      `rtmp ${JSON.stringify(rtmp)}`,
    );
    assert.deepEqual(origin.errors, []);
  },
});

Deno.test({
  name:
    "rtsp interop: ffmpeg publishes over RTSP/UDP (server port pair), played back over RTSP/TCP and HTTP-FLV",
  ignore: missing("ffmpeg", "ffprobe"),
  ...opts,
  async fn() {
    await using origin = await startOrigin();
    await using _pub = publishTestPattern(
      "rtsp-udp",
      `${origin.rtspUrl}/live/udp`,
    );
    await until(
      () => (origin.engine.getStream("live/udp")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const probe = await probeFrames(`${origin.rtspUrl}/live/udp`, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.ok(probe.video >= 40 && probe.audio >= 60, JSON.stringify(probe));
    const decoded = await decodeErrors(`${origin.httpUrl}/live/udp.flv`);
    assert.equal(decoded.stderr.trim(), "");
    assert.deepEqual(origin.errors, []);
  },
});

Deno.test({
  name:
    "rtsp interop: an RTMP-published stream plays over RTSP in 4 concurrent ffprobes (UDP, TCP: each packet built once, sent to all) and GStreamer rtspsrc",
  ignore: missing("ffmpeg", "ffprobe", "gst-launch-1.0"),
  ...opts,
  async fn() {
    await using origin = await startOrigin();
    await using _pub = publishTestPattern("flv", `${origin.rtmpUrl}/live/rtmp`);
    await until(
      () => (origin.engine.getStream("live/rtmp")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const url = `${origin.rtspUrl}/live/rtmp`;
    // Four concurrent players (2 UDP, 2 TCP): each packet is built once per
    // stream and sent to every player.
    const before = origin.rtsp.rtpPackets;
    const probes = await Promise.all(
      ["udp", "udp", "tcp", "tcp"].map((t) =>
        probeFrames(url, ["-rtsp_transport", t])
      ),
    );
    for (const probe of probes) {
      assert.ok(probe.video >= 40 && probe.audio >= 30, JSON.stringify(probe));
    }
    const after = origin.rtsp.rtpPackets;
    const built = after.built - before.built;
    const sent = after.sent - before.sent;
    assert.ok(sent > 1.5 * built, `sent ${sent} packets from ${built} built`);
    if (Deno.env.get("RTSP_FIGURES")) {
      // deno-lint-ignore no-console
      console.error(`rtp packets: built ${built}, sent ${sent}`);
    }
    const gst = new Deno.Command("gst-launch-1.0", {
      args: [
        "-q",
        "rtspsrc",
        `location=${url}`,
        "protocols=tcp",
        "latency=100",
        "!",
        "rtph264depay",
        "!",
        "avdec_h264",
        "!",
        "fakesink",
        "num-buffers=50",
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        gst.kill("SIGKILL");
      } catch { /* gone */ }
    }, 20_000);
    const out = await gst.output();
    clearTimeout(timer);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(origin.errors, []);
  },
});

Deno.test({
  name:
    "rtsp interop: GStreamer rtspclientsink publishes H.264 + Opus over RTSP/UDP; ffmpeg plays it back with zero errors",
  ignore: missing("ffmpeg", "ffprobe", "gst-launch-1.0"),
  ...opts,
  async fn() {
    await using origin = await startOrigin();
    const gst = new Deno.Command("gst-launch-1.0", {
      args: [
        "-q",
        "rtspclientsink",
        "name=s",
        `location=${origin.rtspUrl}/live/gst`,
        "protocols=udp",
        "videotestsrc",
        "is-live=1",
        "num-buffers=500",
        "!",
        "video/x-raw,width=320,height=240,framerate=25/1",
        "!",
        "x264enc",
        "tune=zerolatency",
        "speed-preset=ultrafast",
        "key-int-max=25",
        "!",
        "h264parse",
        "!",
        "s.sink_0",
        "audiotestsrc",
        "is-live=1",
        "!",
        "audio/x-raw,rate=48000,channels=2",
        "!",
        "opusenc",
        "!",
        "s.sink_1",
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    try {
      await until(
        () => (origin.engine.getStream("live/gst")?.gopCache.size ?? 0) > 25,
        15_000,
        "publish",
      );
      const probe = await probeFrames(`${origin.rtspUrl}/live/gst`, [
        "-rtsp_transport",
        "tcp",
      ]);
      assert.deepEqual(probe.codecs.sort(), ["h264", "opus"], probe.stderr);
      assert.ok(probe.video >= 40 && probe.audio >= 100, JSON.stringify(probe));
      // TCP: on a loaded 2-core box a UDP player may drop packets itself.
      const decoded = await decodeErrors(`${origin.rtspUrl}/live/gst`, [
        "-rtsp_transport",
        "tcp",
      ]);
      assert.equal(decoded.stderr.trim(), "");
      assert.deepEqual(origin.errors, []);
    } finally {
      try {
        gst.kill("SIGKILL");
      } catch { /* gone */ }
      await gst.status;
    }
  },
});

Deno.test({
  name:
    "rtsp interop: ffmpeg publishes H.265 + Opus over RTSP; ffprobe plays both tracks over TCP and UDP with zero errors",
  ignore: missing("ffmpeg", "ffprobe"),
  ...opts,
  async fn() {
    await using origin = await startOrigin();
    await using _pub = spawn("ffmpeg", [
      "-v",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25",
      "-f",
      "lavfi",
      "-i",
      "sine=sample_rate=48000",
      "-t",
      "30",
      "-c:v",
      "libx265",
      "-preset",
      "ultrafast",
      "-x265-params",
      "keyint=25:bframes=0:log-level=error",
      "-c:a",
      "libopus",
      "-f",
      "rtsp",
      "-rtsp_transport",
      "tcp",
      `${origin.rtspUrl}/live/hevc`,
    ]);
    await until(
      () => (origin.engine.getStream("live/hevc")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const url = `${origin.rtspUrl}/live/hevc`;
    const probe = await probeFrames(url, ["-rtsp_transport", "tcp"]);
    assert.deepEqual(probe.codecs.sort(), ["hevc", "opus"], probe.stderr);
    assert.ok(probe.video >= 40 && probe.audio >= 100, JSON.stringify(probe));
    const decoded = await decodeErrors(url, ["-rtsp_transport", "udp"]);
    assert.equal(decoded.stderr.trim(), "");
    assert.deepEqual(origin.errors, []);
  },
});
