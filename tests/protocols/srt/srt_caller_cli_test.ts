// SRT caller mode from the CLI: `--pull srt://HOST:PORT?streamid=read:…=APP/NAME`
// pulls another SRT listener's stream, `--push APP/NAME=srt://…?streamid=publish:…`
// pushes a stream to one. A chain: ffmpeg publishes live/src to a second
// listener ("remote"); the origin pulls it into live/pulled and pushes that
// back to the remote as live/back; ffmpeg reads live/back over SRT and
// decodes it with zero errors.
import assert from "node:assert/strict";
import {
  parseOriginArgs,
  parsePull,
  parsePush,
  UsageError,
} from "../../../cli/options.ts";
import { startOrigin } from "../../../cli/origin.ts";
import { missing, run, tempDir } from "../../_tools.ts";
import { ffmpegPublish, startSrtOrigin, stop, until } from "./_srt_fixture.ts";

Deno.test("--pull accepts srt:// listeners, --push APP/NAME=srt://… parses and validates", () => {
  assert.deepEqual(
    parsePull("srt://10.0.0.2:8890?streamid=read:live/cam=live/copy"),
    { url: "srt://10.0.0.2:8890?streamid=read:live/cam", key: "live/copy" },
  );
  assert.throws(
    () => parsePull("srt://10.0.0.2?streamid=x=live/a"),
    UsageError,
  );
  assert.deepEqual(
    parsePush("live/cam=srt://10.0.0.2:8890?streamid=publish:live/cam"),
    { key: "live/cam", url: "srt://10.0.0.2:8890?streamid=publish:live/cam" },
  );
  for (const bad of ["live/cam", "cam=srt://h:1", "live/cam=rtmp://h:1/x"]) {
    assert.throws(() => parsePush(bad), UsageError, bad);
  }
  assert.deepEqual(parseOriginArgs([]).pushes, []);
  assert.equal(
    parseOriginArgs(["--push", "a/b=srt://h:1", "--push", "c/d=srt://h:2"])
      .pushes.length,
    2,
  );
});

Deno.test({
  name:
    "cli SRT caller mode: --pull from a remote listener, --push back to it; ffmpeg decodes the pushed stream",
  ignore: missing("ffmpeg"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir("arcly-srt-caller-");
    await using remote = await startSrtOrigin({ latencyMs: 200 });
    const src = ffmpegPublish(
      `srt://127.0.0.1:${remote.port}?streamid=publish:live/src&latency=200000`,
      40,
    );
    const lines: string[] = [];
    let origin: Awaited<ReturnType<typeof startOrigin>> | undefined;
    try {
      await until(
        () => (remote.engine.getStream("live/src")?.qos().framesIn ?? 0) > 30,
        20_000,
        "live/src on the remote",
      );
      const r = `srt://127.0.0.1:${remote.port}`;
      origin = await startOrigin(
        parseOriginArgs([
          ...["--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0"],
          ...["--rtsp", "off", "--webrtc-udp", "off"],
          ...["--hls-dir", `${dir.path}/hls`],
          ...["--pull", `${r}?streamid=read:live/src&latency=200=live/pulled`],
          ...["--push", `live/pulled=${r}?streamid=publish:live/back`],
        ]),
        (l) => lines.push(l),
      );
      assert.ok(
        lines.some((l) => /push \(SRT\)\s+live\/pulled -> srt:/.test(l)),
        lines.join("\n"),
      );
      const o = origin;
      await until(
        () => (o.engine.getStream("live/pulled")?.qos().framesIn ?? 0) > 30,
        20_000,
        "pulled into the origin",
      );
      await until(
        () =>
          (remote.engine.getStream("live/back")?.qos().tracks.length ?? 0) >=
            2,
        20_000,
        "pushed back to the remote",
      );
      const decoded = await run("ffmpeg", [
        ...["-v", "error", "-i"],
        `${r}?streamid=read:live/back&latency=200000`,
        ...["-t", "3", "-f", "null", "-"],
      ], { timeoutMs: 30_000 });
      assert.equal(decoded.code, 0, decoded.stderr);
      assert.equal(decoded.stderr.trim(), "", "decode errors of live/back");
    } finally {
      await origin?.stop();
      await stop(src);
    }
  },
});
