import assert from "node:assert/strict";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import {
  Engine,
  type StreamAuthenticator,
  StreamKey,
} from "../../../src/mod.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import {
  createHttpApp,
  HttpHandler,
  PrometheusObserver,
} from "../../../protocols/http/mod.ts";
import { sampleFrames } from "./_fixtures.ts";

const KEY = StreamKey.parse("live/cam");

/** Allows play only with token "good"; publish always. */
const tokenAuth: StreamAuthenticator = {
  authorize: ({ action, credentials }) =>
    action === "publish" || credentials.token === "good"
      ? { allowed: true }
      : { allowed: false, reason: "bad token" },
};

function publishSome(engine: Engine, ms: number) {
  const handle = engine.startPublish(KEY);
  for (const f of sampleFrames()) {
    if (f.dts > ms) break;
    handle.publishFrame(f);
  }
  return handle;
}

Deno.test("GET /api/streams lists codecs, resolution, bitrate, fps, subscribers and uptime", async () => {
  await using engine = Engine.builder().build();
  const handle = publishSome(engine, 2000);
  const app = createHttpApp(engine, { dashboard: false });
  const res = await app.request("/api/streams");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const { streams } = await res.json();
  assert.equal(streams.length, 1);
  const [s] = streams;
  assert.equal(s.key, "live/cam");
  assert.equal(s.video.codec, "h264");
  assert.equal(s.audio.codec, "aac");
  assert.equal(s.video.width, 640);
  assert.equal(s.video.height, 360);
  assert.equal(s.audio.sampleRate, 48000);
  assert.equal(typeof s.bitrate, "number");
  assert.equal(typeof s.fps, "number");
  assert.equal(s.subscribers, 0);
  assert.ok(s.uptimeSeconds >= 0);
  assert.equal(s.urls.flv, "/live/cam.flv");
  const one = await app.request("/api/streams/live/cam");
  assert.equal((await one.json()).key, "live/cam");
  assert.equal((await app.request("/api/streams/live/none")).status, 404);
  assert.equal((await app.request("/api/streams/live/..%2f..")).status, 400);
  handle.end();
});

Deno.test("/healthz and /readyz follow the HealthRegistry and shutdown", async () => {
  const engine = Engine.builder().build();
  const app = createHttpApp(engine, { dashboard: false });
  assert.equal((await app.request("/healthz")).status, 200);
  const off = engine.health.register({
    name: "disk",
    check: () => ({ status: "fail", detail: "full" }),
  });
  const failing = await app.request("/healthz");
  assert.equal(failing.status, 503);
  assert.equal((await failing.json()).checks.disk.detail, "full");
  off();
  assert.equal((await app.request("/readyz")).status, 200);
  await engine.shutdown();
  assert.equal((await app.request("/readyz")).status, 503);
});

Deno.test("/metrics exposes engine, egress and auth counters from its own registry", async () => {
  const metrics = new PrometheusObserver();
  await using engine = Engine.builder().observer(metrics).audit(metrics)
    .authenticator(tokenAuth).build();
  const handle = publishSome(engine, 1000);
  const app = createHttpApp(engine, { metrics, dashboard: false });
  assert.equal((await app.request("/live/cam.flv?token=bad")).status, 403);
  const flv = await app.request("/live/cam.flv?token=good");
  handle.end();
  const bytes = new Uint8Array(await flv.arrayBuffer());
  const res = await app.request("/metrics");
  assert.match(res.headers.get("content-type")!, /^text\/plain/);
  const text = await res.text();
  assert.match(
    text,
    /arcly_auth_failures_total\{action="play",protocol="http-flv"\} 1/,
  );
  assert.match(
    text,
    new RegExp(
      `arcly_bytes_out_total\\{protocol="http-flv"\\} ${bytes.length}`,
    ),
  );
  assert.match(text, /arcly_subscriber_joins_total 1/);
  assert.match(text, /arcly_bytes_in_total \d+/);
  assert.match(text, /arcly_publishers 0/);
  // Two observers never share a registry (a fresh one has only its zeros).
  assert.doesNotMatch(
    await new PrometheusObserver().metrics(),
    /arcly_auth_failures_total\{[^}]*\} [1-9]/,
  );
});

Deno.test("play authorization applies to HLS, HTTP-FLV and WS-FLV alike (query token or bearer)", async () => {
  await using engine = Engine.builder().authenticator(tokenAuth).build();
  const storage = new MemoryStorage();
  await storage.put(
    "live/cam/index.m3u8",
    new TextEncoder().encode("#EXTM3U\n#EXT-X-ENDLIST\n"),
  );
  const handle = publishSome(engine, 500);
  const app = createHttpApp(engine, { storage, dashboard: false });
  assert.equal((await app.request("/live/cam/index.m3u8")).status, 403);
  assert.equal(
    (await app.request("/live/cam/index.m3u8?token=good")).status,
    200,
  );
  const bearer = { headers: { authorization: "Bearer good" } };
  assert.equal((await app.request("/live/cam/index.m3u8", bearer)).status, 200);
  assert.equal((await app.request("/live/cam.flv")).status, 403);
  const ws = await app.request("/live/cam.flv", {
    headers: { upgrade: "websocket" },
  });
  assert.equal(ws.status, 403, "WS-FLV upgrade refused before upgrading");
  handle.end();
  const flv = await app.request("/live/cam.flv", bearer);
  assert.equal(flv.status, 404, "ended stream");
});

Deno.test({
  name:
    "WS-FLV sends the FLV header, GOP replay and live tags as binary messages",
  sanitizeResources: true,
  async fn() {
    await using engine = Engine.builder().build();
    const handle = publishSome(engine, 1500);
    const app = createHttpApp(engine, { dashboard: false });
    await using server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, app.fetch);
    const socket = new WebSocket(
      `ws://127.0.0.1:${server.addr.port}/live/cam.flv`,
    );
    socket.binaryType = "arraybuffer";
    const chunks: Uint8Array[] = [];
    const closed = new Promise<void>((resolve) => {
      socket.onclose = () => resolve();
    });
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("ws error"));
    });
    socket.onmessage = (event) =>
      chunks.push(new Uint8Array(event.data as ArrayBuffer));
    // Wait for the replay, then publish live frames and end the stream.
    while (chunks.length === 0) await new Promise((r) => setTimeout(r, 10));
    for (
      const f of sampleFrames().filter((f) => f.dts > 1500 && f.dts <= 2500)
    ) {
      handle.publishFrame(f);
    }
    handle.end();
    await closed;
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    const { frames, header } = readFlvFile(all);
    assert.ok(header.hasVideo && header.hasAudio);
    const video = frames.filter((f) => f.kind === "video" && !f.config);
    assert.ok(video[0]!.keyframe);
    assert.ok(video.at(-1)!.dts > 2400, "live frames arrived after the replay");
  },
});

Deno.test("HttpHandler serves on port 0 under engine.serve() and shuts down with it", async () => {
  const engine = Engine.builder().build();
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
  });
  const controller = new AbortController();
  const served = engine.serve([http], controller.signal);
  const { port } = await http.listening;
  assert.equal(http.port, port);
  const handle = publishSome(engine, 500);
  const res = await fetch(`http://127.0.0.1:${port}/live/cam.flv`);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  // The 13-byte FLV header, then the replay (two chunks).
  let received = 0;
  while (received <= 13) received += (await reader.read()).value!.length;
  assert.ok(received > 13);
  // Shutdown ends the stream, so the long-lived FLV response finishes too.
  controller.abort();
  while (!(await reader.read()).done) { /* drain */ }
  await served;
  assert.ok(handle.ended);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
});
