// Browser check: mpegts.js (a JavaScript TS/FLV demuxer feeding MSE) in
// headless Chromium plays MpegTsMuxer and encodeFlvFile output of a real
// H.264+AAC stream, served from 127.0.0.1:0. (hls.js playback of the same muxer is covered by
// tests/media/hls/hls_browser_test.ts.)
import assert from "node:assert/strict";
import { encodeFlvFile, readFlvFile } from "../../../media/flv/mod.ts";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { launchChromium, nodeModuleFile } from "../../_browser.ts";
import { missing, tempDir } from "../../_tools.ts";
import { makeH264AacFlv } from "./_fixtures.ts";

const PAGE = `<!doctype html><html><body><video muted playsinline></video>
<script src="/mpegts.js"></script></body></html>`;

/** Runs in the page (plain JavaScript: this file is type-checked without the DOM lib). */
const PLAY = `async ({ type, url, until }) => {
  const errors = [];
  const video = document.querySelector("video");
  const player = mpegts.createPlayer({ type, isLive: false, url });
  player.on(mpegts.Events.ERROR, (type, detail) => errors.push(type + ": " + detail));
  player.attachMediaElement(video);
  player.load();
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 20000;
  while (video.currentTime <= until && !video.ended && errors.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = { errors, currentTime: video.currentTime, width: video.videoWidth };
  player.destroy();
  return result;
}`;

Deno.test({
  name:
    "mpegts.js in Chromium plays MpegTsMuxer and encodeFlvFile output of an ffmpeg H.264+AAC stream",
  ignore: missing("chromium", "ffmpeg"),
  async fn(t) {
    await using dir = await tempDir("arcly-ts-browser-");
    const { frames } = readFlvFile(
      await Deno.readFile(await makeH264AacFlv(dir.path)),
    );
    const muxer = new MpegTsMuxer();
    const files: Record<string, Uint8Array> = {
      "/out.ts": muxer.mux(frames),
      "/out.flv": encodeFlvFile(frames),
    };
    const script = await Deno.readFile(
      nodeModuleFile("mpegts.js/dist/mpegts.js"),
    );
    await using server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html" } });
      }
      if (path === "/mpegts.js") {
        return new Response(script, {
          headers: { "content-type": "text/javascript" },
        });
      }
      const body = files[path];
      if (body !== undefined) return new Response(new Uint8Array(body));
      return new Response("not found", { status: 404 });
    });
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    for (const [type, url] of [["mpegts", "/out.ts"], ["flv", "/out.flv"]]) {
      await t.step(type!, async () => {
        const result = await page.evaluate(
          `(${PLAY})(${JSON.stringify({ type, url, until: 1.5 })})`,
        ) as { errors: string[]; currentTime: number; width: number };
        assert.deepEqual(result.errors, []);
        assert.ok(
          result.currentTime > 1.5,
          `currentTime ${result.currentTime}`,
        );
        assert.equal(result.width, 64);
      });
    }
  },
});
