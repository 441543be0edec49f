// Browser check: hls.js in headless Chromium plays the packager's MPEG-TS and
// fMP4 playlists, served by a static file server on 127.0.0.1:0, until
// video.currentTime passes 3 s.
import assert from "node:assert/strict";
import { launchChromium, nodeModuleFile } from "../../_browser.ts";
import { missing, tempDir } from "../../_tools.ts";
import { packageTo, sampleFrames } from "./_interop.ts";

const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/hls.min.js"></script></body></html>`;

/** Runs in the page (plain JavaScript: this file is type-checked without the DOM lib). */
const PLAY = `async ({ url, until }) => {
  const errors = [];
  const video = document.querySelector("video");
  const hls = new Hls({ enableWorker: false });
  hls.on(Hls.Events.ERROR, (_event, data) => { if (data.fatal) errors.push(data.type + ": " + data.details); });
  hls.loadSource(url);
  hls.attachMedia(video);
  await new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 20000;
  while (video.currentTime <= until && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = { errors, currentTime: video.currentTime, width: video.videoWidth };
  hls.destroy();
  return result;
}`;

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  js: "text/javascript",
};

Deno.test({
  name:
    "hls.js in Chromium plays HlsSegmenter's MPEG-TS and fMP4 playlists past 3 s",
  ignore: missing("chromium"),
  async fn(t) {
    await using dir = await tempDir("arcly-hls-browser-");
    const frames = await sampleFrames();
    await packageTo(dir.path, frames, {
      format: "ts",
      prefix: "live/ts",
      targetDurationMs: 2000,
    });
    await packageTo(dir.path, frames, {
      format: "fmp4",
      prefix: "live/fmp4",
      targetDurationMs: 2000,
    });
    const hlsJs = await Deno.readFile(nodeModuleFile("hls.js/dist/hls.min.js"));
    await using server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html" } });
      }
      if (path === "/hls.min.js") {
        return new Response(hlsJs, { headers: { "content-type": TYPES.js! } });
      }
      if (!/^\/live\/(ts|fmp4)\/[a-z0-9.]+$/.test(path)) {
        return new Response("not found", { status: 404 });
      }
      const body = await Deno.readFile(`${dir.path}${path}`).catch(() => null);
      if (!body) return new Response("not found", { status: 404 });
      const type = TYPES[path.slice(path.lastIndexOf(".") + 1)] ??
        "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    });
    const origin = `http://127.0.0.1:${server.addr.port}`;
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    for (const format of ["ts", "fmp4"]) {
      await t.step(format, async () => {
        const result = await page.evaluate(
          `(${PLAY})(${
            JSON.stringify({ url: `/live/${format}/index.m3u8`, until: 3 })
          })`,
        ) as {
          errors: string[];
          currentTime: number;
          width: number;
        };
        assert.deepEqual(result.errors, []);
        assert.ok(result.currentTime > 3, `currentTime ${result.currentTime}`);
        assert.equal(result.width, 640);
      });
    }
  },
});
