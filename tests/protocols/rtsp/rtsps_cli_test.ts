// RTSPS from the CLI: `--rtsps HOST:PORT` with the same --cert/--key as
// RTMPS (refused without them); the banner prints the rtsps:// URLs; ffmpeg
// publishes over rtsps:// (ANNOUNCE/RECORD inside TLS), ffprobe plays it back
// over rtsps://, GStreamer's rtspsrc plays it (tls-validation-flags=0:
// the test CA is not in its store).
import assert from "node:assert/strict";
import { parseOriginArgs, UsageError } from "../../../cli/options.ts";
import { startOrigin } from "../../../cli/origin.ts";
import { missing, run, tempDir } from "../../_tools.ts";
import { testCertificates } from "../../_tls.ts";
import { probeFrames, publishTestPattern, until } from "./_rtsp_fixture.ts";

Deno.test("--rtsps parses and needs --cert/--key", () => {
  assert.equal(parseOriginArgs([]).rtsps, null);
  assert.throws(
    () => parseOriginArgs(["--rtsps", "127.0.0.1:8322"]),
    (e: unknown) => e instanceof UsageError && /--rtsps/.test(e.message),
  );
  assert.deepEqual(
    parseOriginArgs([
      "--rtsps",
      "127.0.0.1:8322",
      "--cert",
      "c.pem",
      "--key",
      "k.pem",
    ]).rtsps,
    { hostname: "127.0.0.1", port: 8322 },
  );
  assert.throws(
    () =>
      parseOriginArgs(["--rtsps", "nope", "--cert", "c.pem", "--key", "k.pem"]),
    UsageError,
  );
});

Deno.test({
  name:
    "cli --rtsps: banner URL; ffmpeg publishes over rtsps://, ffprobe and GStreamer rtspsrc play it",
  ignore: missing("ffmpeg", "ffprobe", "openssl"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir("arcly-rtsps-cli-");
    const { cert, key } = await testCertificates(dir.path);
    await Deno.writeTextFile(`${dir.path}/cert.pem`, cert);
    await Deno.writeTextFile(`${dir.path}/key.pem`, key);
    const lines: string[] = [];
    const origin = await startOrigin(
      parseOriginArgs([
        "--rtmp",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--rtsp",
        "off",
        "--rtsps",
        "127.0.0.1:0",
        "--cert",
        `${dir.path}/cert.pem`,
        "--key",
        `${dir.path}/key.pem`,
        "--hls-dir",
        `${dir.path}/hls`,
        "--webrtc-udp",
        "off",
      ]),
      (l) => lines.push(l),
    );
    try {
      const seen: string[] = [];
      const t0 = Date.now();
      for (
        const type of [
          "unpublished",
          "subscriberEvicted",
          "lagResync",
          "handlerError",
        ] as const
      ) {
        origin.engine.events.on(type, (e) => {
          seen.push(`${Date.now() - t0} ms ${type} ${JSON.stringify(e)}`);
        });
      }
      const banner = lines.join("\n");
      assert.ok(origin.rtspsPort !== null, banner);
      assert.equal(origin.rtspPort, null);
      const base = `rtsps://127.0.0.1:${origin.rtspsPort}`;
      assert.ok(
        lines.some((l) => /publish \(RTSPS\)/.test(l) && l.includes(base)),
        banner,
      );
      assert.ok(
        lines.some((l) => /play \(RTSPS\)/.test(l) && /TCP only/.test(l)),
        banner,
      );
      await using _pub = publishTestPattern("rtsp-tcp", `${base}/live/tls`);
      await until(
        () => (origin.engine.getStream("live/tls")?.gopCache.size ?? 0) > 25,
        15_000,
        "publish over RTSPS",
      );
      const probe = await probeFrames(`${base}/live/tls`, [
        "-rtsp_transport",
        "tcp",
      ]);
      assert.ok(
        probe.video >= 40 && probe.audio >= 60,
        JSON.stringify(probe),
      );
      assert.deepEqual(probe.codecs.toSorted(), ["aac", "h264"]);
      if (!missing("gst-launch-1.0")) {
        const gst = await run("gst-launch-1.0", [
          "-q",
          "rtspsrc",
          `location=${base}/live/tls`,
          "tls-validation-flags=0",
          "protocols=tcp",
          "latency=200",
          "!",
          "rtph264depay",
          "!",
          "h264parse",
          "!",
          "avdec_h264",
          "!",
          "fakesink",
          "num-buffers=50",
        ], { timeoutMs: 20_000 });
        assert.equal(
          gst.code,
          0,
          `${gst.stderr}\nat ${Date.now() - t0} ms, server saw:\n${
            seen.join("\n")
          }`,
        );
      }
    } finally {
      await origin.stop();
    }
  },
});
