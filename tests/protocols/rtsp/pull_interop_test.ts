// Camera pull against GStreamer's RTSP server (python3-gi + GstRtspServer,
// tests/protocols/rtsp/testdata/gst_camera.py) as the camera: the pulled
// stream is served over HTTP-FLV and decodes with zero errors (TCP and
// auto/UDP); the camera killed and restarted → the pull reconnects and the
// output continues; UDP through a relay that drops 5 % of the packets →
// frames with holes are dropped, the remuxed output decodes with zero errors.
import assert from "node:assert/strict";
import { missing } from "../../_tools.ts";
import {
  type RtspPullEvent,
  RtspPullSource,
} from "../../../protocols/rtsp/mod.ts";
import {
  decodeErrors,
  probeFrames,
  startOrigin,
  until,
} from "./_rtsp_fixture.ts";
import { lossyRtspProxy } from "./_lossy_proxy.ts";
import { freePort, hasGi, startCamera } from "./_camera.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ignore = missing("ffmpeg", "ffprobe") || !hasGi;

for (const transport of ["tcp", "auto"] as const) {
  Deno.test({
    name:
      `rtsp pull (${transport}): a GStreamer RTSP camera is pulled, served over HTTP-FLV and RTSP, decodes with zero errors`,
    ignore,
    ...opts,
    async fn() {
      const camPort = freePort();
      await using _cam = await startCamera(camPort);
      await using origin = await startOrigin();
      const events: RtspPullEvent[] = [];
      const source = new RtspPullSource({
        url: `rtsp://127.0.0.1:${camPort}/cam`,
        transport,
        onEvent: (e) => events.push(e),
      });
      const stop = new AbortController();
      const pumped = origin.engine.pumpSource("live/cam", source, {
        signal: stop.signal,
      }).catch((e) => e);
      try {
        await until(
          () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 30,
          20_000,
          "pulled frames",
        ).catch((e) => {
          const seen = events.map((x) =>
            x.type === "disconnected" ? String(x.error) : x.type
          );
          throw new Error(`${e.message}: ${seen} ${origin.errors.map(String)}`);
        });
        const flv = await probeFrames(`${origin.httpUrl}/live/cam.flv`);
        assert.deepEqual(flv.codecs.sort(), ["aac", "h264"], flv.stderr);
        assert.ok(flv.video >= 40 && flv.audio >= 60, JSON.stringify(flv));
        const decoded = await decodeErrors(`${origin.httpUrl}/live/cam.flv`);
        assert.equal(decoded.stderr.trim(), "");
        const rtsp = await probeFrames(`${origin.rtspUrl}/live/cam`, [
          "-rtsp_transport",
          "tcp",
        ]);
        assert.ok(rtsp.video >= 40, JSON.stringify(rtsp));
        assert.equal(source.transport, transport === "tcp" ? "tcp" : "udp");
        assert.equal(events[0]?.type, "connected");
      } finally {
        stop.abort();
        await pumped;
      }
    },
  });
}

Deno.test({
  name:
    "rtsp pull: the camera killed and restarted → the pull reconnects (backoff) and the output continues",
  ignore,
  ...opts,
  async fn() {
    const camPort = freePort();
    let cam = await startCamera(camPort);
    await using origin = await startOrigin({ hls: true });
    const events: RtspPullEvent[] = [];
    const source = new RtspPullSource({
      url: `rtsp://127.0.0.1:${camPort}/cam`,
      transport: "tcp",
      initialBackoffMs: 200,
      maxBackoffMs: 1000,
      stallTimeoutMs: 2000,
      onEvent: (e) => events.push(e),
    });
    const stop = new AbortController();
    const pumped = origin.engine.pumpSource("live/cam", source, {
      signal: stop.signal,
    }).catch((e) => e);
    try {
      await until(
        () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 20,
        15_000,
        "first frames",
      );
      const stream = origin.engine.getStream("live/cam")!;
      await cam[Symbol.asyncDispose]();
      await until(
        () => events.some((e) => e.type === "disconnected"),
        8000,
        "disconnect seen",
      );
      const before = stream.qos().framesIn ?? 0;
      // A camera away for 2 s: HLS closes the open segment and fills the
      // silence (the live playlist keeps the wall clock), then marks the
      // return with a DISCONTINUITY.
      await new Promise((r) => setTimeout(r, 2_000));
      cam = await startCamera(camPort);
      await until(() => source.connects >= 2, 15_000, "reconnect");
      await until(
        () => (stream.qos().framesIn ?? 0) > before + 50,
        10_000,
        "frames after restart",
      );
      assert.equal(
        origin.engine.getStream("live/cam"),
        stream,
        "same stream continues",
      );
      const decoded = await decodeErrors(
        `${origin.httpUrl}/live/cam.flv`,
        [],
        2,
      );
      assert.equal(decoded.stderr.trim(), "");
      // HLS of the pulled stream spans the reconnect and decodes cleanly.
      const playlist =
        await (await fetch(`${origin.httpUrl}/live/cam/index.m3u8`)).text();
      assert.match(playlist, /#EXTINF/);
      // RFC 8216bis 4.4.3.1: no segment longer than the target duration,
      // the outage included, and the return is marked.
      const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(playlist)![1]);
      for (const m of playlist.matchAll(/#EXTINF:([\d.]+)/g)) {
        assert.ok(Math.round(Number(m[1])) <= target, `${m[0]}\n${playlist}`);
      }
      assert.match(playlist, /#EXT-X-DISCONTINUITY\n/, playlist);
      // The stream's timestamps are exact across the reconnect (40 ms steps,
      // one gap of the outage's length). ffmpeg 5.1 estimates r_frame_rate
      // from the probed timestamps; a gap that is not a whole number of
      // frames (e.g. 0.457 s) makes it guess 49/2 instead of 25, and
      // `-fps_mode passthrough` then encodes in a 2/49 s time base, where
      // about one 40 ms step in 49 rounds onto the previous 40.8 ms tick:
      // "non monotonically increasing dts … 59 >= 59" (reproduced offline on
      // the saved segments; ffprobe shows r_frame_rate 49/2 for the playlist
      // and 25/1 for each segment). Encoding in the demuxer's time base
      // (`-enc_time_base:v -1`, 1/90000) keeps every frame: zero errors.
      const hls = await decodeErrors(
        `${origin.httpUrl}/live/cam/index.m3u8`,
        [],
        4,
        ["-fps_mode", "passthrough", "-enc_time_base:v", "-1"],
      );
      assert.equal(hls.stderr.trim(), "", `${hls.stderr}\n${playlist}`);
    } finally {
      stop.abort();
      await pumped;
      await cam[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name:
    "rtsp pull: UDP through a relay dropping 5 % of RTP → broken frames dropped to the next keyframe, output decodes with zero errors",
  ignore,
  ...opts,
  async fn() {
    const camPort = freePort();
    await using _cam = await startCamera(camPort);
    await using proxy = lossyRtspProxy(camPort, 0.05);
    await using origin = await startOrigin();
    const source = new RtspPullSource({
      url: `rtsp://127.0.0.1:${proxy.port}/cam`,
      transport: "udp",
    });
    const stop = new AbortController();
    const pumped = origin.engine.pumpSource("live/cam", source, {
      signal: stop.signal,
    }).catch((e) => e);
    try {
      await until(
        () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 10,
        15_000,
        "pulled frames",
      );
      const decoded = await decodeErrors(
        `${origin.httpUrl}/live/cam.flv`,
        [],
        4,
      );
      assert.equal(
        decoded.stderr.trim(),
        "",
        "no garbled frame reaches the output",
      );
      assert.ok(
        proxy.dropped > 10,
        `relay dropped ${proxy.dropped} of ${proxy.forwarded + proxy.dropped}`,
      );
      const stream = origin.engine.getStream("live/cam")!;
      assert.ok((stream.qos().framesIn ?? 0) > 50);
    } finally {
      stop.abort();
      await pumped;
    }
    assert.ok(
      source.droppedFrames > 0 && source.lostPackets > 0,
      `dropped ${source.droppedFrames}, lost ${source.lostPackets}`,
    );
  },
});

Deno.test({
  name:
    "rtsp pull: a camera with G.711 µ-law audio: PCMU depacketized as pcmu frames next to H.264; HTTP-FLV of it decodes with zero errors",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const camPort = freePort();
    await using _cam = await startCamera(camPort, "pcmu");
    await using origin = await startOrigin();
    const source = new RtspPullSource({
      url: `rtsp://127.0.0.1:${camPort}/cam`,
      transport: "tcp",
    });
    const stop = new AbortController();
    const pumped = origin.engine.pumpSource("live/g711", source, {
      signal: stop.signal,
    }).catch((e) => e);
    try {
      await until(
        () => (origin.engine.getStream("live/g711")?.qos().framesIn ?? 0) > 60,
        15_000,
        "pulled frames",
      );
      const stream = origin.engine.getStream("live/g711")!;
      const codecs = new Set<string>();
      await until(
        () => {
          for (const f of stream.gopCache.frames()) codecs.add(f.codec);
          return codecs.has("pcmu") && codecs.has("h264");
        },
        10_000,
        "pcmu and h264 frames",
      ).catch((e) => {
        throw new Error(`${e.message}: ${[...codecs]}`);
      });
      const decoded = await decodeErrors(
        `${origin.httpUrl}/live/g711.flv`,
        [],
        2,
      );
      assert.equal(decoded.stderr.trim(), "");
    } finally {
      stop.abort();
      await pumped;
    }
  },
});
