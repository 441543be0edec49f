// RTMPS: the same handler over TLS, with a throw-away self-signed certificate.
import assert from "node:assert/strict";
import { RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import { testCertificates } from "../../_tls.ts";
import { audio, startServer, until, video } from "./_server.ts";

Deno.test({
  name:
    "RTMPS: RtmpClient publishes and plays over TLS; ffprobe reads the stream",
  ignore: missing("openssl", "ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const { ca, ...tls } = await testCertificates(dir.path);
    await using server = await startServer({ rtmp: { tls } });
    assert.equal(server.rtmp.name, "rtmps");
    const url = `rtmps://127.0.0.1:${server.port}/live`;
    const pub = await RtmpClient.connect(url, { caCerts: [ca] });
    const publisher = await pub.publish("secure");
    const source = run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=64x64:rate=25:duration=8", // outlives ffprobe even on a loaded machine
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-g",
      "10",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "flv",
      `${url}/ff`,
    ], { timeoutMs: 20_000 });
    await publisher.writeFrames([
      video(0, true, { config: true }),
      audio(0, true),
      video(0, true),
    ]);
    const sub = await RtmpClient.connect(url, { caCerts: [ca] });
    const player = await sub.play("secure");
    const iter = player[Symbol.asyncIterator]();
    const first = await iter.next();
    assert.equal(first.value?.config, true);
    await until(
      () => (server.engine.getStream("live/ff")?.gopCache.size ?? 0) > 0,
      10_000,
    );
    const probe = await ffprobe(`${url}/ff`);
    assert.equal(probe.streams[0]?.codec_name, "h264");
    assert.equal(probe.streams[0]?.width, 64);
    assert.equal((await source).code, 0);
    await pub.close();
    await sub.close();
  },
});
