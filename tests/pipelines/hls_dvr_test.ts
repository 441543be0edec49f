// HLS DVR window: with AppSpec.hlsDvrMs (or HlsPackagingOptions.dvrWindowMs)
// the live playlist keeps the last N seconds of segments as a sliding window
// (the media sequence advances, segments that left it are deleted); and
// hls.js in Chromium seeks 10 s back in a live 20 s window of 1 s segments
// and plays from there.
import assert from "node:assert/strict";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { Engine, StreamKey } from "../../src/mod.ts";
import { createHttpApp, HttpHandler } from "../../protocols/http/mod.ts";
import { dvrWindowSegments, HlsPackaging } from "../../pipelines/mod.ts";
import { sampleFrames, shifted } from "../protocols/http/_fixtures.ts";
import { launchChromium } from "../_browser.ts";
import { missing } from "../_tools.ts";
import { loopingClipSource } from "../../cli/demo_source.ts";
import { pageServer } from "../interop/_origin.ts";

/** Publish `loops` × the 10 s sample with rising timestamps, fast. */
async function publishLoops(engine: Engine, key: string, loops: number) {
  const handle = engine.startPublish(StreamKey.parse(key));
  let n = 0;
  const frames = sampleFrames();
  for (let loop = 0; loop < loops; loop++) {
    for (const f of loop === 0 ? frames : shifted(frames, loop * 10_000)) {
      if (loop > 0 && f.config) continue;
      handle.publishFrame(f);
      if (++n % 32 === 0) await new Promise((r) => setTimeout(r, 0));
    }
  }
  return handle;
}

Deno.test("hls dvr: window segments", () => {
  assert.equal(dvrWindowSegments(20_000, 1000, 6), 20);
  assert.equal(dvrWindowSegments(120_000, 6000, 6), 20);
  assert.equal(dvrWindowSegments(3000, 1000, 6), 6);
  assert.equal(dvrWindowSegments(0, 1000, 6), 6);
});

Deno.test("hls dvr: AppSpec.hlsDvrMs keeps a sliding 10 s window, old segments deleted", async () => {
  await using engine = Engine.builder()
    .application({ name: "dvr", hlsDvrMs: 10_000 })
    .application({ name: "live" })
    .build();
  const storage = new MemoryStorage();
  await using packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    lowLatency: false,
    targetDurationMs: 1000,
    windowSize: 4,
  });
  const dvr = await publishLoops(engine, "dvr/cam", 3);
  const plain = await publishLoops(engine, "live/cam", 1);
  await new Promise((r) => setTimeout(r, 200));
  const app = createHttpApp(engine, {
    storage,
    hls: packaging,
    dashboard: false,
  });
  const text = await (await app.request("/dvr/cam/index.m3u8")).text();
  const segments = text.match(/#EXTINF:/g)?.length ?? 0;
  const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
  assert.ok(segments >= 9 && segments <= 11, `${segments} segments`);
  assert.ok(sequence >= 15, `media sequence ${sequence}`);
  assert.doesNotMatch(text, /#EXT-X-ENDLIST/);
  // The segments that left the window and its grace (their duration plus
  // the playlist's, RFC 8216bis §6.2.2) are gone.
  const stored = (await storage.list("dvr/cam/")).filter((k) =>
    k.endsWith(".m4s")
  );
  assert.ok(stored.length <= 23, `${stored.length} segments stored`);
  assert.ok(!stored.includes("dvr/cam/seg0.m4s"));
  // Another app keeps the packager's window.
  const other = await (await app.request("/live/cam/index.m3u8")).text();
  assert.equal(other.match(/#EXTINF:/g)?.length, 4);
  dvr.end();
  plain.end();
});

const SEEK = `async ({ url }) => {
  const video = document.querySelector("video");
  const errors = [];
  const hls = new Hls({ enableWorker: false, lowLatencyMode: false });
  hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) errors.push(data.type + ": " + data.details); });
  hls.loadSource(url);
  hls.attachMedia(video);
  await new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
  await video.play().catch((e) => errors.push("play: " + e));
  const wait = async (ok, ms) => {
    const deadline = performance.now() + ms;
    while (!ok() && errors.length === 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return ok();
  };
  const playing = await wait(() => video.currentTime > 0.5, 15000);
  const live = video.currentTime;
  const seekableStart = video.seekable.length ? video.seekable.start(0) : NaN;
  const seekableEnd = video.seekable.length ? video.seekable.end(0) : NaN;
  const target = live - 10;
  video.currentTime = target;
  const seeked = await wait(() => !video.seeking && Math.abs(video.currentTime - target) < 3, 10000);
  const after = video.currentTime;
  const advanced = await wait(() => video.currentTime > after + 1.5, 10000);
  const result = { errors, playing, live, seekableStart, seekableEnd, target, seeked, after,
    advanced, now: video.currentTime };
  hls.destroy();
  return result;
}`;

Deno.test({
  name:
    "hls dvr: hls.js in Chromium seeks 10 s back in a live 20 s window of 1 s segments",
  ignore: missing("chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const engine = Engine.builder()
    .application({ name: "live", hlsDvrMs: 20_000 })
    .build();
  const storage = new MemoryStorage();
  const packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    lowLatency: false,
    targetDurationMs: 1000,
  });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage,
    hls: packaging,
    dashboard: false,
  });
  const served = engine.serve([http]);
  const stop = new AbortController();
  const pumping = engine.pumpSource(
    StreamKey.parse("live/dvr"),
    loopingClipSource(sampleFrames()),
    { signal: stop.signal },
  ).catch(() => {});
  const { port } = await http.listening;
  const page = pageServer(`http://127.0.0.1:${port}`);
  try {
    // 14 s of live media: the window holds 10 s behind the player's edge.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = await fetch(`${page.url}/live/dvr/index.m3u8`).then((r) =>
        r.ok ? r.text() : ""
      );
      if ((text.match(/#EXTINF:/g)?.length ?? 0) >= 14) break;
      assert.ok(Date.now() < deadline, "the window never reached 14 s");
      await new Promise((r) => setTimeout(r, 500));
    }
    await using browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(`${page.url}/`);
    const result = await tab.evaluate(
      `(${SEEK})(${JSON.stringify({ url: "/live/dvr/index.m3u8" })})`,
    ) as Record<string, unknown> & { errors: string[] };
    const info = JSON.stringify(result);
    assert.deepEqual(result.errors, [], info);
    assert.equal(result.playing, true, info);
    assert.ok(
      (result.seekableStart as number) <= (result.target as number),
      info,
    );
    assert.equal(result.seeked, true, info);
    assert.equal(result.advanced, true, info);
  } finally {
    stop.abort();
    await pumping;
    await page.shutdown();
    await engine.shutdown({ deadlineMs: 2000 });
    await served;
    await packaging.close();
  }
});
