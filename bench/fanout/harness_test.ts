/**
 * Self-tests of the fan-out harness's independent players (they measure other
 * servers, so they are checked against independent implementations: Deno's
 * HTTP server with chunked bodies, and `ffmpeg -listen 1` as an RTMP server).
 *
 * Run: `deno test -A bench/fanout/harness_test.ts` (needs ffmpeg; ~10 s).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Amf0Value, decodeAmf0, encodeAmf0 } from "./amf0.ts";
import { FlvViewer } from "./flv_viewer.ts";
import { RtmpViewer } from "./rtmp_viewer.ts";
import { ensureSource, sourceStats } from "./source.ts";
import { freePort } from "./processes.ts";
import { summarize } from "./load_client.ts";

const source = new URL("../.scratch/source.flv", import.meta.url).pathname;

Deno.test("encodeAmf0()/decodeAmf0() round-trip a connect command", () => {
  const values: Amf0Value[] = [
    "connect",
    1,
    { app: "live", fpad: false, caps: 15, n: null },
    [1, "a"],
  ];
  assert.deepEqual(decodeAmf0(encodeAmf0(values)), values);
});

Deno.test("summarize() takes nearest-rank percentiles", () => {
  const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual(s, { count: 100, median: 50, p99: 99, max: 100 });
});

Deno.test("FlvViewer counts every tag of a chunked HTTP-FLV body split at odd sizes", async () => {
  await ensureSource(source);
  const stats = sourceStats(source);
  const file = Deno.readFileSync(source);
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen() {},
  }, () => {
    // Odd piece sizes cut tag headers and chunk framing in every place.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let off = 0, i = 0; off < file.length; i++) {
          const n = 1 + ((i * 7919) % 9000);
          controller.enqueue(file.slice(off, off + n));
          off += n;
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "video/x-flv" } });
  });
  const viewer = new FlvViewer(
    "127.0.0.1",
    server.addr.port,
    "/live/bench.flv",
  );
  viewer.start();
  await viewer.ended;
  ac.abort();
  await server.finished;
  assert.equal(viewer.tags, stats.videoTags + stats.audioTags + 1); // + onMetaData
  assert.ok(
    viewer.firstKeyframeAt >= viewer.firstByteAt && viewer.firstByteAt > 0,
  );
  assert.ok(
    viewer.mediaTs >= (stats.durationS - 0.1) * 1000,
    `mediaTs ${viewer.mediaTs}`,
  );
  assert.equal(viewer.error, "end of body");
});

Deno.test({
  name:
    "RtmpViewer plays from ffmpeg's RTMP server and sees keyframes and timestamps",
  sanitizeResources: false, // the ffmpeg child is awaited below; its pipes are closed by status
  async fn() {
    await ensureSource(source);
    const port = freePort();
    const ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-t",
        "3",
        "-i",
        source,
        "-c",
        "copy",
        "-f",
        "flv",
        "-listen",
        "1",
        `rtmp://127.0.0.1:${port}/live/bench`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let viewer: RtmpViewer | null = null;
      for (let i = 0; i < 50 && viewer === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const v = new RtmpViewer("127.0.0.1", port, "live", "bench");
        v.start();
        await Promise.race([v.firstByte.catch(() => {}), v.ended]);
        if (v.firstByteAt > 0) viewer = v;
        else await v.ended;
      }
      assert.ok(viewer !== null, "ffmpeg never accepted");
      await viewer.ended;
      assert.ok(viewer.firstKeyframeAt > 0, `no keyframe (${viewer.error})`);
      assert.ok(viewer.messages > 100, `messages ${viewer.messages}`);
      assert.ok(viewer.mediaTs >= 2000, `mediaTs ${viewer.mediaTs}`);
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* exited */ }
      await ffmpeg.status;
    }
  },
});
