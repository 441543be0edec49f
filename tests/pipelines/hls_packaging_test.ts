import assert from "node:assert/strict";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { Engine, StreamKey } from "../../src/mod.ts";
import { createHttpApp, PrometheusObserver } from "../../protocols/http/mod.ts";
import { HlsPackaging } from "../../pipelines/mod.ts";
import { missing, run } from "../_tools.ts";
import { sampleFrames } from "../protocols/http/_fixtures.ts";

const KEY = StreamKey.parse("live/cam");

/** Publish the sample's first `ms` of media, yielding so the packager keeps up. */
async function publishFast(engine: Engine, ms: number): Promise<void> {
  const handle = engine.startPublish(KEY);
  let n = 0;
  for (const f of sampleFrames()) {
    if (f.dts > ms) break;
    handle.publishFrame(f);
    if (++n % 8 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  handle.end();
}

for (const format of ["ts", "fmp4"] as const) {
  for (const lowLatency of [false, true]) {
    Deno.test({
      name: `HlsPackaging packages a published stream (${format}${
        lowLatency ? ", LL-HLS" : ""
      }) that ffmpeg reads over HTTP`,
      ignore: missing("ffmpeg"),
      async fn() {
        await using engine = Engine.builder().build();
        const storage = new MemoryStorage();
        const metrics = new PrometheusObserver();
        await using packaging = new HlsPackaging({
          engine,
          storage,
          format,
          lowLatency,
          targetDurationMs: 1000,
          windowSize: 20,
          onEvent: (_key, event) => metrics.countHlsEvent(event),
        });
        await publishFast(engine, 6000);
        await packaging.close();
        const segmenter = packaging.segmenter("live/cam")!;
        assert.ok(segmenter.ended);
        const app = createHttpApp(engine, {
          storage,
          hls: packaging,
          metrics,
          dashboard: false,
        });
        const playlist = await (await app.request("/live/cam/index.m3u8"))
          .text();
        assert.match(playlist, /#EXT-X-ENDLIST/);
        if (lowLatency) assert.match(playlist, /#EXT-X-PART:/);
        await using server = Deno.serve({
          hostname: "127.0.0.1",
          port: 0,
          onListen() {},
        }, app.fetch);
        const url = `http://127.0.0.1:${server.addr.port}/live/cam/index.m3u8`;
        const out = await run("ffmpeg", [
          "-v",
          "error",
          "-i",
          url,
          "-c",
          "copy",
          "-f",
          "null",
          "-",
        ], {
          timeoutMs: 30_000,
        });
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stderr.trim(), "");
        const text = await metrics.metrics();
        const written = Number(
          /arcly_hls_segments_written_total (\d+)/.exec(text)?.[1],
        );
        assert.ok(written >= 5, `segments written: ${written}`);
      },
    });
  }
}

Deno.test("LL-HLS blocking reload on a live packager returns as soon as the part is published", async () => {
  await using engine = Engine.builder().build();
  const storage = new MemoryStorage();
  await using packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    targetDurationMs: 1000,
  });
  const handle = engine.startPublish(KEY);
  const frames = sampleFrames().filter((f) => f.dts <= 4000);
  let i = 0;
  const publishUntil = async (ms: number) => {
    while (i < frames.length && frames[i]!.dts <= ms) {
      handle.publishFrame(frames[i++]!);
      if (i % 8 === 0) await new Promise((r) => setTimeout(r, 1));
    }
  };
  await publishUntil(2000);
  // Let the packager drain what was published (it runs asynchronously).
  let previous = "";
  for (
    let k = 0;
    k < 50 && packaging.segmenter("live/cam")!.playlist() !== previous;
    k++
  ) {
    previous = packaging.segmenter("live/cam")!.playlist();
    await new Promise((r) => setTimeout(r, 20));
  }
  const app = createHttpApp(engine, {
    storage,
    hls: packaging,
    dashboard: false,
  });
  const first = await (await app.request("/live/cam/index.m3u8")).text();
  assert.match(first, /CAN-BLOCK-RELOAD=YES/);
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg(\d+)\.(\d+)\.m4s"/.exec(
    first,
  );
  assert.ok(hint, first);
  const [msn, part] = [Number(hint[1]), Number(hint[2])];
  let answered = false;
  const pending = Promise.resolve(
    app.request(`/live/cam/index.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`),
  ).then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(answered, false, "held while the part does not exist");
  // The preload-hinted part itself is held too, then served.
  const hinted = app.request(`/live/cam/seg${msn}.${part}.m4s`);
  await publishUntil(3000);
  const res = await pending;
  assert.equal(res.status, 200);
  assert.ok((await res.text()).includes(`seg${msn}.${part}.m4s`));
  const partRes = await hinted;
  assert.equal(partRes.status, 200);
  assert.equal(partRes.headers.get("content-type"), "video/iso.segment");
  assert.ok((await partRes.arrayBuffer()).byteLength > 0);
  handle.end();
});

Deno.test("LL-HLS _HLS_skip=YES answers a delta update (EXT-X-SKIP) once the playlist is long enough", async () => {
  await using engine = Engine.builder().build();
  const storage = new MemoryStorage();
  await using packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    targetDurationMs: 1000,
    windowSize: 12,
  });
  const handle = engine.startPublish(KEY);
  let n = 0;
  for (const f of sampleFrames()) {
    handle.publishFrame(f);
    if (++n % 8 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const segmenter = packaging.segmenter("live/cam")!;
  for (let k = 0; k < 100 && !/seg8\.m4s/.test(segmenter.playlist()); k++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const app = createHttpApp(engine, {
    storage,
    hls: packaging,
    dashboard: false,
  });
  const full = await (await app.request("/live/cam/index.m3u8")).text();
  const delta = await (await app.request("/live/cam/index.m3u8?_HLS_skip=YES"))
    .text();
  assert.match(full, /CAN-SKIP-UNTIL=/);
  assert.match(delta, /#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+/);
  assert.ok(delta.length < full.length);
  handle.end();
});
