// The origin CLI's SRT flags: --srt (default port 8890 on --rtmp's host,
// ephemeral when --rtmp is), --srt off, --srt-passphrase (10–79 characters),
// the SRT URLs in the start-up banner, and an encrypted publish + read
// through the running origin.
import assert from "node:assert/strict";
import { parseOriginArgs, UsageError } from "../../../cli/options.ts";
import { startOrigin } from "../../../cli/origin.ts";
import { SrtClient } from "../../../protocols/srt/mod.ts";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { tempDir } from "../../_tools.ts";
import { until } from "./_srt_fixture.ts";

Deno.test("--srt and --srt-passphrase parse, default and validate", () => {
  assert.deepEqual(parseOriginArgs([]).srt, {
    hostname: "0.0.0.0",
    port: 8890,
  });
  assert.deepEqual(parseOriginArgs(["--rtmp", "127.0.0.1:0"]).srt, {
    hostname: "127.0.0.1",
    port: 0,
  });
  assert.deepEqual(parseOriginArgs(["--rtmp", "10.0.0.1:1935"]).srt, {
    hostname: "10.0.0.1",
    port: 8890,
  });
  assert.deepEqual(parseOriginArgs(["--srt", "127.0.0.1:9000"]).srt, {
    hostname: "127.0.0.1",
    port: 9000,
  });
  assert.equal(parseOriginArgs(["--srt", "off"]).srt, null);
  assert.equal(parseOriginArgs([]).srtPassphrase, null);
  assert.equal(
    parseOriginArgs(["--srt-passphrase", "0123456789"]).srtPassphrase,
    "0123456789",
  );
  assert.throws(
    () => parseOriginArgs(["--srt-passphrase", "short"]),
    UsageError,
  );
  assert.throws(() => parseOriginArgs(["--srt", "nonsense"]), UsageError);
});

Deno.test("the origin serves SRT with a passphrase and prints the SRT URLs", async () => {
  await using dir = await tempDir("arcly-srt-cli-");
  const lines: string[] = [];
  const origin = await startOrigin(
    parseOriginArgs([
      "--rtmp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--srt",
      "127.0.0.1:0",
      "--srt-passphrase",
      "cli-srt-secret",
      "--hls-dir",
      `${dir.path}/hls`,
    ]),
    (l) => lines.push(l),
  );
  try {
    const publishLine = lines.find((l) => l.includes("publish (SRT)"));
    assert.ok(publishLine, lines.join("\n"));
    assert.match(
      publishLine,
      /srt:\/\/127\.0\.0\.1:\d+\?streamid=publish:live\/<name>&passphrase=…/,
    );
    assert.ok(
      lines.some((l) =>
        /play \(SRT\)\s+srt:\/\/127\.0\.0\.1:\d+\?streamid=read:live\/<name>/
          .test(l)
      ),
    );
    const port = Number(/:(\d+)\?/.exec(publishLine)![1]);
    const pub = await SrtClient.connect({
      hostname: "127.0.0.1",
      port,
      streamId: "publish:live/clicam",
      passphrase: "cli-srt-secret",
    });
    const muxer = new MpegTsMuxer();
    const frames: MediaFrame[] = [{
      kind: "audio",
      codec: "aac",
      trackId: 0,
      pts: 0,
      dts: 0,
      timescale: 1000,
      keyframe: true,
      config: true,
      data: new Uint8Array([0x12, 0x10]),
    }];
    for (let t = 0; t < 2000; t += 23) {
      frames.push({
        kind: "audio",
        codec: "aac",
        trackId: 0,
        pts: t,
        dts: t,
        timescale: 1000,
        keyframe: true,
        config: false,
        data: new Uint8Array(100),
      });
    }
    pub.sendTs(muxer.mux(frames));
    await until(
      () => (origin.engine.getStream("live/clicam")?.qos().framesIn ?? 0) > 20,
      5_000,
      "frames",
    );
    await assert.rejects(
      SrtClient.connect({
        hostname: "127.0.0.1",
        port,
        streamId: "read:live/clicam",
      }),
    );
    pub.close();
  } finally {
    await origin.stop();
  }
});
