import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import { Engine, type EngineEvent, StreamKey } from "../../../src/mod.ts";
import {
  createHttpApp,
  flvRoutes,
  FlvTagCache,
} from "../../../protocols/http/mod.ts";
import { ffprobe, missing } from "../../_tools.ts";
import { publishPaced, readAtLeast, sampleFrames } from "./_fixtures.ts";

const KEY = StreamKey.parse("live/cam");

/** Publish the first `seconds` of the sample at once (configs + GOPs). */
function publishBurst(engine: Engine, seconds: number) {
  const handle = engine.startPublish(KEY);
  for (const f of sampleFrames()) {
    if (f.dts > seconds * 1000) break;
    handle.publishFrame(f);
  }
  return handle;
}

Deno.test("HTTP-FLV starts with the FLV header, configs and a keyframe from the GOP cache", async () => {
  await using engine = Engine.builder().build();
  const handle = publishBurst(engine, 1.5);
  const app = createHttpApp(engine, { dashboard: false });
  const res = await app.request("/live/cam.flv");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "video/x-flv");
  handle.end(); // the viewer drains its replay, then the body ends
  const bytes = await readAtLeast(res.body!, Infinity);
  const { frames, header } = readFlvFile(bytes);
  assert.ok(header.hasVideo && header.hasAudio);
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  const firstVideo = media.find((f) => f.kind === "video");
  assert.ok(firstVideo?.keyframe, "first video frame is a keyframe");
  assert.ok(
    frames.findIndex((f) => f.config && f.kind === "video") <
      frames.indexOf(firstVideo!),
  );
  assert.ok(
    firstVideo!.dts >= 900,
    "replay starts at the newest GOP, not the first one",
  );
});

Deno.test("HTTP-FLV answers 404 for a stream that is not live, 400 for a bad path", async () => {
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, { dashboard: false });
  assert.equal((await app.request("/live/none.flv")).status, 404);
  assert.equal((await app.request("/live/%2e%2e.flv")).status, 400);
});

Deno.test("HTTP-FLV viewers share one serialization per frame and end with the stream", async () => {
  await using engine = Engine.builder().build();
  const handle = publishBurst(engine, 0.5);
  const app = createHttpApp(engine, { dashboard: false });
  const a = await app.request("/live/cam.flv");
  const b = await app.request("/live/cam.flv");
  const readAll = async (body: ReadableStream<Uint8Array>) => {
    let n = 0;
    for await (const chunk of body) n += chunk.length;
    return n;
  };
  const counting = Promise.all([readAll(a.body!), readAll(b.body!)]);
  for (const f of sampleFrames().filter((f) => f.dts > 500 && f.dts < 2000)) {
    handle.publishFrame(f);
    await new Promise((r) => setTimeout(r, 0));
  }
  handle.end();
  const [na, nb] = await counting;
  assert.ok(na > 50_000);
  assert.equal(na, nb, "both viewers received the same bytes");
  assert.equal(handle.subscriberCount, 0);
});

Deno.test("FlvTagCache serializes each frame once and memoises a shared batch", () => {
  const cache = new FlvTagCache();
  const frames = sampleFrames().slice(0, 40);
  const one = cache.batch(frames);
  const two = cache.batch(frames);
  assert.equal(one, two);
  assert.equal(cache.serialized, 40);
  assert.equal(cache.tagOf(frames[3]!), cache.tagOf(frames[3]!));
  const parsed = readFlvFile(
    new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, ...one]),
  );
  assert.equal(parsed.frames.length, 40);
});

Deno.test("a viewer that stops reading is resynced or evicted; the other keeps every frame", async () => {
  const events: EngineEvent[] = [];
  await using engine = Engine.builder()
    .application({ name: "live", ringCapacity: 64, maxLagFrames: 48 })
    .observer({ onEvent: (e) => events.push(e) })
    .build();
  const handle = engine.startPublish(KEY);
  const app = createHttpApp(engine, { dashboard: false });
  const fast = await app.request("/live/cam.flv");
  const slow = await app.request("/live/cam.flv"); // never read
  let fastBytes = 0;
  const reading = (async () => {
    for await (const chunk of fast.body!) fastBytes += chunk.length;
  })();
  const media = sampleFrames().filter((f) => f.dts < 6000);
  for (const f of media) {
    handle.publishFrame(f);
    await new Promise((r) => setTimeout(r, 0));
  }
  handle.end();
  await reading;
  const total = media.reduce((n, f) => n + f.data.length, 0);
  assert.ok(
    fastBytes > total,
    `fast viewer got ${fastBytes} of ${total} payload bytes`,
  );
  // The slow viewer finds out it fell behind when it reads again.
  let slowBytes = 0;
  for await (const chunk of slow.body!) slowBytes += chunk.length;
  assert.ok(slowBytes < fastBytes / 2, `slow viewer got ${slowBytes}`);
  assert.ok(
    events.some((e) =>
      e.type === "lagResync" || e.type === "subscriberEvicted"
    ),
    "the slow viewer was resynced or evicted",
  );
});

Deno.test({
  name: "HTTP-FLV over a socket is read by ffprobe as H.264 + AAC",
  ignore: missing("ffprobe"),
  async fn() {
    await using engine = Engine.builder().build();
    const handle = engine.startPublish(KEY);
    const controller = new AbortController();
    const publishing = publishPaced(handle, {
      speed: 2,
      maxMs: 20_000,
      signal: controller.signal,
    });
    const app = createHttpApp(engine, { dashboard: false });
    await using server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, app.fetch);
    const probe = await ffprobe(
      `http://127.0.0.1:${server.addr.port}/live/cam.flv`,
      [
        "-read_intervals",
        "%+1",
      ],
    );
    controller.abort();
    handle.end();
    await publishing;
    const codecs = probe.streams.map((s) => s.codec_name).sort();
    assert.deepEqual(codecs, ["aac", "h264"]);
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
  },
});

Deno.test("HTTP-FLV viewers wake on one shared flush tick and enqueue the very same chunks", async () => {
  await using engine = Engine.builder().build();
  const handle = engine.startPublish(KEY);
  const frames = sampleFrames();
  for (const f of frames.filter((f) => f.config || f.dts < 200)) {
    handle.publishFrame(f);
  }
  const routes = flvRoutes({
    open: () => Promise.resolve(handle),
    egressTickMs: 40,
  });
  const VIEWERS = 20;
  const bodies = await Promise.all(
    Array.from(
      { length: VIEWERS },
      async () => (await routes.request("/live/cam.flv")).body!,
    ),
  );
  const collect = async (body: ReadableStream<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return chunks;
  };
  const reading = Promise.all(bodies.map(collect));
  // 1.2 s of media, paced in real time (about 100 frames).
  const live = frames.filter((f) => !f.config && f.dts >= 200 && f.dts < 1400);
  const start = performance.now();
  for (const f of live) {
    const wait = start + f.dts - 200 - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    handle.publishFrame(f);
  }
  await new Promise((r) => setTimeout(r, 100));
  handle.end();
  const got = await within(reading, 5_000);
  const [first] = got;
  for (const chunks of got) {
    assert.equal(chunks.length, first!.length);
    // Header + replay joined once for all, then every live chunk shared.
    chunks.forEach((c, i) =>
      assert.equal(c, first![i], `chunk ${i} is shared`)
    );
  }
  const liveChunks = first!.length - 1;
  assert.ok(
    liveChunks <= Math.ceil(1300 / 40) + 2,
    `${liveChunks} chunks for ${live.length} frames: at most one per tick`,
  );
  assert.ok(liveChunks < live.length / 2);
  const all = new Uint8Array(first!.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of first!) {
    all.set(c, at);
    at += c.length;
  }
  const parsed = readFlvFile(all).frames.filter((f) => !f.config);
  assert.deepEqual(
    parsed.slice(-live.length).map((f) => f.dts),
    live.map((f) => f.dts),
    "every live frame, in order",
  );
});

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
