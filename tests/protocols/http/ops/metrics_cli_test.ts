// The CLI origin's /metrics: the SRT server's collector samples are there
// (the CLI hands every server with collectMetrics() to the observer), and no
// declared family is empty.
import assert from "node:assert/strict";
import { startOrigin } from "../../../../cli/origin.ts";
import { parseOriginArgs } from "../../../../cli/options.ts";

Deno.test("metrics: the CLI origin exposes SRT collector samples and no empty family", async () => {
  const hlsDir = await Deno.makeTempDir({ prefix: "arcly-metrics-cli-" });
  const origin = await startOrigin(
    parseOriginArgs([
      "--rtmp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--srt",
      "127.0.0.1:0",
      "--rtsp",
      "off",
      "--webrtc-udp",
      "off",
      "--hls-dir",
      hlsDir,
    ]),
    () => {},
  );
  try {
    const text = await (await fetch(
      `http://127.0.0.1:${origin.httpPort}/metrics`,
    )).text();
    assert.match(text, /^arcly_srt_sessions\{mode="read"\} 0$/m);
    assert.match(text, /^arcly_viewers\{protocol="srt"\} 0$/m);
    const samples = new Map<string, number>();
    for (const line of text.split("\n")) {
      const typed = /^# TYPE (\S+) /.exec(line);
      if (typed) samples.set(typed[1]!, 0);
      else if (line !== "" && !line.startsWith("#")) {
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
        assert.ok(samples.has(name), `${name} has no TYPE line`);
        samples.set(name, samples.get(name)! + 1);
      }
    }
    for (const [name, n] of samples) assert.ok(n > 0, `${name} is empty`);
  } finally {
    await origin.stop();
    await Deno.remove(hlsDir, { recursive: true });
  }
});
