// On-demand camera pull (RtspPullProvider on the kernel's OnDemandProvider
// seam): nothing connects until a viewer asks; an RTSP viewer's DESCRIBE
// starts the pull and plays it; the stream (and the camera session) ends a
// grace period after the last viewer left.
import assert from "node:assert/strict";
import { missing } from "../../_tools.ts";
import { RtspPullProvider } from "../../../protocols/rtsp/mod.ts";
import { probeFrames, startOrigin, until } from "./_rtsp_fixture.ts";
import { freePort, hasGi, startCamera } from "./_camera.ts";

Deno.test({
  name:
    "rtsp on-demand pull: connects on the first viewer, released after the last viewer + grace",
  ignore: missing("ffmpeg", "ffprobe") || !hasGi,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const camPort = freePort();
    await using _cam = await startCamera(camPort);
    const provider = new RtspPullProvider([
      { key: "live/door", url: `rtsp://127.0.0.1:${camPort}/cam` },
    ], { transport: "tcp" });
    await using origin = await startOrigin({
      onDemand: provider,
      onDemandGraceMs: 1500,
    });
    const published: string[] = [];
    origin.engine.events.on("published", (e) => published.push(e.key));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      origin.engine.getStream("live/door"),
      undefined,
      "nothing before a viewer",
    );
    const probe = await probeFrames(`${origin.rtspUrl}/live/door`, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.ok(probe.video >= 40 && probe.audio >= 60, JSON.stringify(probe));
    assert.deepEqual(published, ["live/door"]);
    const missingKey = await probeFrames(`${origin.rtspUrl}/live/other`, [
      "-rtsp_transport",
      "tcp",
    ], 1);
    assert.match(missingKey.stderr, /404/);
    await until(
      () => origin.engine.getStream("live/door") === undefined,
      10_000,
      "released after grace",
    );
  },
});
