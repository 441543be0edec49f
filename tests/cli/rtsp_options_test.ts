// CLI flags of the RTSP server and camera pulls: --rtsp HOST:PORT (default
// 0.0.0.0:8554, "off"), --pull URL=app/name (repeatable), --pull-on-demand;
// and an origin started with them: an RTMP-published stream plays over the
// origin's RTSP port, the banner shows the RTSP URLs.
import assert from "node:assert/strict";
import { parseOriginArgs, parsePull, UsageError } from "../../cli/options.ts";
import { startOrigin } from "../../cli/origin.ts";
import { missing } from "../_tools.ts";
import { freePort, hasGi, startCamera } from "../protocols/rtsp/_camera.ts";

Deno.test("cli rtsp flags: --rtsp default, off, explicit; --pull URL=app/name repeatable; --pull-on-demand", () => {
  const d = parseOriginArgs([]);
  assert.deepEqual(d.rtsp, { hostname: "0.0.0.0", port: 8554 });
  assert.deepEqual(d.pulls, []);
  assert.equal(d.pullOnDemand, false);
  assert.equal(parseOriginArgs(["--rtsp", "off"]).rtsp, null);
  const o = parseOriginArgs([
    "--rtsp",
    "127.0.0.1:9554",
    "--pull",
    "rtsp://admin:p%40ss@10.0.0.9:554/Streaming/Channels/101=live/door",
    "--pull",
    "rtsp://10.0.0.10/stream?x=1=cams/yard",
    "--pull-on-demand",
  ]);
  assert.deepEqual(o.rtsp, { hostname: "127.0.0.1", port: 9554 });
  assert.deepEqual(o.pulls, [
    {
      url: "rtsp://admin:p%40ss@10.0.0.9:554/Streaming/Channels/101",
      key: "live/door",
    },
    { url: "rtsp://10.0.0.10/stream?x=1", key: "cams/yard" },
  ]);
  assert.equal(o.pullOnDemand, true);
  for (
    const bad of [
      "rtsp://cam/a",
      "http://cam/a=live/x",
      "rtsp://cam/a=live",
      "rtsp://cam/a=live/x y",
      "=live/x",
    ]
  ) {
    assert.throws(() => parsePull(bad), UsageError, bad);
  }
  assert.throws(() => parseOriginArgs(["--rtsp", "nope"]), UsageError);
});

Deno.test({
  name:
    "cli rtsp: the origin serves RTSP (an RTMP-published stream plays in ffprobe) and prints the RTSP URLs",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const hlsDir = await Deno.makeTempDir({ prefix: "arcly-cli-rtsp-" });
    const lines: string[] = [];
    const origin = await startOrigin(
      parseOriginArgs([
        "--rtmp",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--rtsp",
        "127.0.0.1:0",
        "--hls-dir",
        hlsDir,
      ]),
      (l) => lines.push(l),
    );
    const ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-t",
        "20",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-bf",
        "0",
        "-f",
        "flv",
        `rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`,
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    try {
      const banner = lines.join("\n");
      const m = /rtsp:\/\/127\.0\.0\.1:(\d+)\/live\/<name>/.exec(banner);
      assert.ok(m, banner);
      assert.equal(Number(m[1]), origin.rtspPort);
      const end = Date.now() + 15_000;
      while ((origin.engine.getStream("live/cam")?.gopCache.size ?? 0) < 25) {
        if (Date.now() > end) throw new Error("no publish");
        await new Promise((r) => setTimeout(r, 100));
      }
      const probe = await new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-rtsp_transport",
          "tcp",
          "-show_entries",
          "stream=codec_name",
          "-of",
          "csv=p=0",
          `rtsp://127.0.0.1:${origin.rtspPort}/live/cam`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        new TextDecoder().decode(probe.stdout).trim(),
        "h264",
        new TextDecoder().decode(probe.stderr),
      );
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* gone */ }
      await ffmpeg.status;
      await origin.stop();
      await Deno.remove(hlsDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "cli rtsp: --pull pulls a GStreamer RTSP camera into live/cam (HTTP-FLV decodes), the banner masks the password",
  ignore: missing("ffmpeg", "ffprobe") || !hasGi,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const camPort = freePort();
    await using _cam = await startCamera(camPort);
    const hlsDir = await Deno.makeTempDir({ prefix: "arcly-cli-pull-" });
    const lines: string[] = [];
    const origin = await startOrigin(
      parseOriginArgs([
        "--rtmp",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--rtsp",
        "off",
        "--hls-dir",
        hlsDir,
        "--pull",
        `rtsp://admin:s3cret@127.0.0.1:${camPort}/cam=live/cam`,
      ]),
      (l) => lines.push(l),
    );
    try {
      assert.ok(
        lines.some((l) =>
          l.includes(`rtsp://admin:***@127.0.0.1:${camPort}/cam -> live/cam`)
        ),
        lines.join("\n"),
      );
      assert.ok(!lines.join("\n").includes("s3cret"));
      const end = Date.now() + 20_000;
      while ((origin.engine.getStream("live/cam")?.gopCache.size ?? 0) < 30) {
        if (Date.now() > end) {
          throw new Error(`no pulled frames: ${lines.join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const probe = await new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-show_entries",
          "stream=codec_name",
          "-of",
          "csv=p=0",
          `http://127.0.0.1:${origin.httpPort}/live/cam.flv`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.deepEqual(
        new TextDecoder().decode(probe.stdout).trim().split("\n").sort(),
        ["aac", "h264"],
      );
    } finally {
      await origin.stop();
      await Deno.remove(hlsDir, { recursive: true });
    }
  },
});
