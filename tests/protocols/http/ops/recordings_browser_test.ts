// hls.js in Chromium plays the recordings VOD playlist (fMP4 byte ranges of
// two files, EXT-X-DISCONTINUITY between them) across the file boundary,
// and a <video> element plays the downloaded MP4 of a range.
import assert from "node:assert/strict";
import { MemoryStorage } from "../../../../media/storage/mod.ts";
import { recordingsApiRoutes } from "../../../../protocols/http/mod.ts";
import { launchChromium, nodeModuleFile } from "../../../_browser.ts";
import { missing } from "../../../_tools.ts";
import { keyAt, recordClip } from "../../../media/recording/_recorded.ts";

const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/hls.min.js"></script></body></html>`;

/** Runs in the page: play `url` (hls.js or native) at `rate` until `until` s. */
const PLAY = `async ({ url, until, rate, native }) => {
  const errors = [];
  const video = document.querySelector("video");
  let hls = null;
  if (native) {
    video.src = url;
    video.addEventListener("error", () => errors.push("video: " + video.error?.message));
  } else {
    hls = new Hls({ enableWorker: false });
    hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) errors.push(data.type + ": " + data.details); });
    hls.loadSource(url);
    hls.attachMedia(video);
    await new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
  }
  video.playbackRate = rate;
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 20000;
  while (video.currentTime <= until && !video.ended && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = { errors, currentTime: video.currentTime, duration: video.duration, width: video.videoWidth };
  hls?.destroy();
  return result;
}`;

Deno.test({
  name:
    "recordings: hls.js plays the VOD playlist across two files, <video> plays a downloaded range",
  ignore: missing("chromium"),
}, async () => {
  const storage = new MemoryStorage();
  await recordClip(storage, keyAt("08:30:00"));
  await recordClip(storage, keyAt("08:30:15"));
  const routes = recordingsApiRoutes({ storage });
  const hlsJs = await Deno.readFile(nodeModuleFile("hls.js/dist/hls.min.js"));
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html" } });
    }
    if (path === "/hls.min.js") {
      return new Response(hlsJs, {
        headers: { "content-type": "text/javascript" },
      });
    }
    return routes.fetch(request);
  });
  await using browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.addr.port}/`);
  const base = "/api/v1/recordings/live/cam";
  // 08:30:06 → 08:30:20: 4 s of the first file, 5 s of the second; at 4x
  // the player passes the discontinuity at 4 s.
  const vod = await page.evaluate(
    `(${PLAY})(${
      JSON.stringify({
        url: `${base}/playlist.m3u8?start=2026-12-06T08:30:06Z&duration=14`,
        until: 7,
        rate: 4,
      })
    })`,
  ) as { errors: string[]; currentTime: number; width: number };
  assert.deepEqual(vod.errors, [], JSON.stringify(vod));
  assert.ok(vod.currentTime > 7, JSON.stringify(vod));
  assert.equal(vod.width, 640);
  const mp4 = await page.evaluate(
    `(${PLAY})(${
      JSON.stringify({
        url: `${base}/download?start=2026-12-06T08:30:08Z&duration=10`,
        until: 4,
        rate: 4,
        native: true,
      })
    })`,
  ) as { errors: string[]; currentTime: number; width: number };
  assert.deepEqual(mp4.errors, [], JSON.stringify(mp4));
  assert.ok(mp4.currentTime > 3.9, JSON.stringify(mp4));
  assert.equal(mp4.width, 640);
});
