// Browser check, live: hls.js (lowLatencyMode) in Chromium plays an LL-HLS
// fMP4 stream while HlsSegmenter packages the demo clip in real time. The
// test server implements blocking playlist reload (_HLS_msn/_HLS_part) and
// blocking preload-hint part requests with HlsSegmenter.waitFor().
import assert from "node:assert/strict";
import { launchChromium, nodeModuleFile } from "../../_browser.ts";
import { missing } from "../../_tools.ts";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { sampleFrames } from "./_interop.ts";

const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/hls.min.js"></script></body></html>`;

/** Runs in the page: play live in low-latency mode and report progress. */
const PLAY_LIVE = `async ({ url, seconds }) => {
  const errors = [];
  const video = document.querySelector("video");
  const hls = new Hls({ enableWorker: false, lowLatencyMode: true });
  let parts = 0;
  hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) errors.push(data.type + ": " + data.details); });
  hls.on(Hls.Events.LEVEL_LOADED, (_e, data) => { parts = Math.max(parts, data.details.partList?.length ?? 0); });
  hls.loadSource(url);
  hls.attachMedia(video);
  await new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 15000;
  while (video.currentTime === 0 && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const start = video.currentTime;
  while (video.currentTime < start + seconds && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = { errors, start, end: video.currentTime, parts };
  hls.destroy();
  return result;
}`;

Deno.test({
  name:
    "hls.js in Chromium plays a live LL-HLS fMP4 stream with blocking reload",
  ignore: missing("chromium"),
  async fn() {
    const storage = new MemoryStorage();
    const hls = new HlsSegmenter({
      storage,
      format: "fmp4",
      prefix: "live/ll",
      targetDurationMs: 2000,
      partTargetMs: 500,
      windowSize: 6,
    });
    const hlsJs = await Deno.readFile(nodeModuleFile("hls.js/dist/hls.min.js"));
    const blockingMs = 4000;
    await using server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, async (request) => {
      const url = new URL(request.url);
      const path = url.pathname;
      if (path === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html" } });
      }
      if (path === "/hls.min.js") {
        return new Response(hlsJs, {
          headers: { "content-type": "text/javascript" },
        });
      }
      if (!/^\/live\/ll\/[a-z0-9.]+$/.test(path)) {
        return new Response("not found", { status: 404 });
      }
      const name = path.slice("/live/ll/".length);
      if (name === "index.m3u8") {
        const msn = url.searchParams.get("_HLS_msn");
        const part = url.searchParams.get("_HLS_part");
        if (msn !== null) {
          await hls.waitFor(
            Number(msn),
            part === null ? undefined : Number(part),
            AbortSignal.timeout(blockingMs),
          );
        }
        const text = hls.renderPlaylist({
          skip: url.searchParams.get("_HLS_skip") === "YES",
        });
        return new Response(text, {
          headers: { "content-type": "application/vnd.apple.mpegurl" },
        });
      }
      const partName = /^seg(\d+)\.(\d+)\.m4s$/.exec(name);
      if (partName && hls.segmentState(name) === "unknown") {
        await hls.waitFor(
          Number(partName[1]),
          Number(partName[2]),
          AbortSignal.timeout(blockingMs),
        );
      }
      const body = await storage.get(`live/ll/${name}`);
      if (!body) {
        return new Response("not found", {
          status: hls.segmentState(name) === "gone" ? 410 : 404,
        });
      }
      return new Response(body, { headers: { "content-type": "video/mp4" } });
    });

    // Publish the clip in real time (timestamps against the wall clock).
    const frames = await sampleFrames();
    const stop = new AbortController();
    const publishing = (async () => {
      const t0 = performance.now();
      for (const frame of frames) {
        if (stop.signal.aborted) break;
        const due = (frame.dts * 1000) / frame.timescale -
          (performance.now() - t0);
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        await hls.push(frame);
      }
      await hls.end();
    })();
    try {
      await hls.waitFor(1, undefined, AbortSignal.timeout(10_000)); // a playlist worth joining
      await using browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      const result = await page.evaluate(
        `(${PLAY_LIVE})(${
          JSON.stringify({ url: "/live/ll/index.m3u8", seconds: 2 })
        })`,
      ) as {
        errors: string[];
        start: number;
        end: number;
        parts: number;
      };
      assert.deepEqual(result.errors, []);
      assert.ok(
        result.end - result.start >= 2,
        `played ${result.start} → ${result.end}`,
      );
      assert.ok(result.parts > 0, "hls.js saw EXT-X-PART entries");
    } finally {
      stop.abort();
      await publishing;
    }
  },
});
