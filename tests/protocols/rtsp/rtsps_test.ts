// RTSPS: the server over TLS (throw-away CA); ffprobe plays an
// RTMP-published stream over rtsps://, and RtspPullSource pulls it over TLS
// (trusting the CA) into a second stream.
import assert from "node:assert/strict";
import { missing, tempDir } from "../../_tools.ts";
import { testCertificates } from "../../_tls.ts";
import { RtspPullSource } from "../../../protocols/rtsp/mod.ts";
import {
  probeFrames,
  publishTestPattern,
  startOrigin,
  until,
} from "./_rtsp_fixture.ts";

Deno.test({
  name:
    "rtsps: ffprobe plays over TLS; RtspPullSource pulls over TLS with the CA",
  ignore: missing("ffmpeg", "ffprobe", "openssl"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir("arcly-rtsps-");
    const { cert, key, ca } = await testCertificates(dir.path);
    await using origin = await startOrigin({ rtsp: { tls: { cert, key } } });
    assert.equal(origin.rtsp.name, "rtsps");
    await using _pub = publishTestPattern("flv", `${origin.rtmpUrl}/live/cam`);
    await until(
      () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const url = origin.rtspUrl.replace("rtsp://", "rtsps://");
    const probe = await probeFrames(`${url}/live/cam`, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.ok(probe.video >= 40 && probe.audio >= 60, JSON.stringify(probe));
    const source = new RtspPullSource({
      url: `${url}/live/cam`,
      transport: "tcp",
      caCerts: [ca],
    });
    const stop = new AbortController();
    const pumped = origin.engine.pumpSource("live/copy", source, {
      signal: stop.signal,
    }).catch((e) => e);
    try {
      await until(
        () => (origin.engine.getStream("live/copy")?.qos().framesIn ?? 0) > 50,
        15_000,
        "pulled over TLS",
      );
    } finally {
      stop.abort();
      await pumped;
    }
    assert.equal(source.connects, 1);
  },
});
