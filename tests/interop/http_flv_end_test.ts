// Issue 20, fault 5: HTTP-FLV bodies on the origin's own HTTP/1.1 server are
// chunked, so the end of a stream is a clean end of body: ffmpeg no longer
// reports "Stream ends prematurely" (it did for every close-delimited end).
import assert from "node:assert/strict";
import { missing, run } from "../_tools.ts";
import { encodeClip } from "./_media.ts";
import { publishRealtime, startOrigin } from "./_origin.ts";

Deno.test({
  name:
    "ffmpeg reading HTTP-FLV to the end of the stream: exit 0, no 'Stream ends prematurely', no warning",
  ignore: missing("ffmpeg"),
  async fn() {
    const frames = await encodeClip({
      width: 320,
      height: 240,
      fps: 30,
      seconds: 3,
    });
    await using origin = await startOrigin();
    const publishing = publishRealtime(origin.rtmpUrl, "end", frames);
    while (origin.engine.getStream("live/end") === undefined) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const reading = run("ffmpeg", [
      "-v",
      "warning",
      "-i",
      `${origin.httpUrl}/live/end.flv`,
      "-f",
      "null",
      "-",
    ], { timeoutMs: 20_000 });
    await publishing;
    const result = await reading;
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Stream ends prematurely/);
    assert.equal(result.stderr.trim(), "", "ffmpeg -v warning output");
  },
});
