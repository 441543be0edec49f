// Browser check: hls.js in headless Chromium plays the packager's MPEG-TS and
// fMP4 playlists, served by a static file server on 127.0.0.1:0, until
// video.currentTime passes 3 s; and plays through an EXT-X-GAP segment (a
// failed write) and a republish (`continueFrom`, EXT-X-DISCONTINUITY).
import assert from "node:assert/strict";
import { launchChromium, nodeModuleFile } from "../../_browser.ts";
import { missing, tempDir } from "../../_tools.ts";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { FlakyStorage } from "../../faults/_flaky_storage.ts";
import { packageTo, sampleFrames } from "./_interop.ts";

const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/hls.min.js"></script></body></html>`;

/** Runs in the page (plain JavaScript: this file is type-checked without the DOM lib). */
const PLAY = `async ({ url, until, rate }) => {
  const errors = [];
  const video = document.querySelector("video");
  const hls = new Hls({ enableWorker: false });
  hls.on(Hls.Events.ERROR, (_event, data) => { if (data.fatal) errors.push(data.type + ": " + data.details); });
  hls.loadSource(url);
  hls.attachMedia(video);
  await new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
  video.playbackRate = rate ?? 1;
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 20000;
  while (video.currentTime <= until && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = { errors, currentTime: video.currentTime, width: video.videoWidth };
  hls.destroy();
  return result;
}`;

/**
 * fMP4 under `live/gap`: the clip with the write of its third segment
 * failed (EXT-X-GAP), then a republish of the clip 20 s later continuing
 * from the first session (EXT-X-DISCONTINUITY, new MSNs).
 */
async function packageWithGapAndRepublish(
  root: string,
  frames: readonly MediaFrame[],
): Promise<string> {
  const storage = new FlakyStorage(new FsStorage({ root }));
  const options = {
    storage,
    format: "fmp4",
    prefix: "live/gap",
    targetDurationMs: 2000,
    windowSize: 20,
  } as const;
  const first = new HlsSegmenter(options);
  for (const frame of frames) {
    // The cut at 6 s closes seg2 while the disk is full.
    storage.fault = !frame.config && frame.dts >= 5000 && frame.dts < 6100
      ? "full"
      : "none";
    await first.push(frame);
  }
  storage.fault = "none";
  await first.end();
  const second = new HlsSegmenter({ ...options, continueFrom: first });
  for (const frame of frames) {
    await second.push({
      ...frame,
      dts: frame.dts + 20_000,
      pts: frame.pts + 20_000,
    });
  }
  await second.end();
  return second.playlist();
}

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
    const gapPlaylist = await packageWithGapAndRepublish(dir.path, frames);
    assert.match(gapPlaylist, /#EXT-X-GAP\n#EXTINF:2,\nseg2.m4s\n/);
    // Same encoder settings: the same init bytes keep their URI.
    assert.match(gapPlaylist, /seg4.m4s\n#EXT-X-DISCONTINUITY\n/);
    assert.doesNotMatch(gapPlaylist, /init1.mp4/);
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
      if (!/^\/live\/(ts|fmp4|gap)\/[a-z0-9.]+$/.test(path)) {
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
    await t.step("fMP4 through an EXT-X-GAP and a republish", async () => {
      // At 4x: past the gap (4-6 s) and the discontinuity (10 s).
      const result = await page.evaluate(
        `(${PLAY})(${
          JSON.stringify({ url: "/live/gap/index.m3u8", until: 12, rate: 4 })
        })`,
      ) as { errors: string[]; currentTime: number; width: number };
      assert.deepEqual(result.errors, []);
      assert.ok(result.currentTime > 12, `currentTime ${result.currentTime}`);
    });
  },
});
