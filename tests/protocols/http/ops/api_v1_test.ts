// The control API v1 against an in-process engine (no sockets): shapes,
// viewers per protocol (internal consumers not counted), kick, admin token,
// OpenAPI document, HLS sessions.
import assert from "node:assert/strict";
import { createHttpApp } from "../../../../protocols/http/mod.ts";
import {
  ClientRegistry,
  Engine,
  JoinedEgress,
  ManualClock,
} from "../../../../src/mod.ts";
import type { MediaFrame } from "../../../../media/frame.ts";

const frame = (dts: number): MediaFrame => ({
  kind: "audio",
  codec: "aac",
  trackId: 0,
  pts: dts,
  dts,
  timescale: 1000,
  keyframe: true,
  config: false,
  data: new Uint8Array(100),
});

Deno.test("api v1: streams, clients, kick, token", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const app = createHttpApp(engine, { apiToken: "secret", dashboard: false });
  const stream = await engine.startPublishAuthorized("live/cam", {
    protocol: "rtmp",
    remoteAddr: "10.0.0.9:50000",
  });
  // An internal consumer (what the HLS packager does): not a viewer.
  const internal = stream.subscribeResilient();
  const egress = new JoinedEgress({ name: "raw", serialize: (f) => f.data }, {
    egressTickMs: 0,
  });
  const session = egress.open(stream, {
    protocol: "http-flv",
    remoteAddr: "10.0.0.2",
  });
  const it = session[Symbol.asyncIterator]();
  stream.publishFrame(frame(0));
  const batch = await it.next();
  assert.equal(batch.value?.length, 100);

  const { streams } = await (await app.request("/api/v1/streams")).json();
  assert.equal(streams.length, 1);
  const s = streams[0];
  assert.equal(s.key, "live/cam");
  assert.deepEqual(s.publisher, {
    protocol: "rtmp",
    remoteAddr: "10.0.0.9:50000",
  });
  assert.equal(s.viewers.total, 1);
  assert.equal(s.viewers.byProtocol["http-flv"], 1);
  assert.equal(s.viewers.byProtocol.hls, 0);
  assert.ok(!Number.isNaN(Date.parse(s.startedAt)));
  const legacy = await (await app.request("/api/streams")).json();
  assert.equal(legacy.streams[0].subscribers, 1); // the packager-like sub is not

  const { clients } = await (await app.request("/api/v1/clients")).json();
  assert.equal(clients.length, 2);
  const viewer = clients.find((c: { kind: string }) => c.kind === "viewer");
  assert.equal(viewer.protocol, "http-flv");
  assert.equal(viewer.bytesSent, 100);
  assert.equal(viewer.id, session.clientId);

  const path = `/api/v1/clients/${viewer.id}`;
  const anonymous = await app.request(path, { method: "DELETE" });
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error.code, "unauthorized");
  const wrong = await app.request(path, {
    method: "DELETE",
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(wrong.status, 403);
  assert.equal((await wrong.json()).error.code, "forbidden");
  const kicked = await app.request(path, {
    method: "DELETE",
    headers: { authorization: "Bearer secret" },
  });
  assert.equal(kicked.status, 204);
  const end = await session.subscription.closed;
  assert.equal(end.reason, "evicted"); // protocols abort the connection
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  const again = await app.request(path, {
    method: "DELETE",
    headers: { authorization: "Bearer secret" },
  });
  assert.equal(again.status, 404);
  assert.equal((await again.json()).error.code, "not_found");

  // Kick the publisher: the stream ends at once.
  const publisher = engine.clients.list().find((c) => c.kind === "publisher")!;
  const res = await app.request(`/api/v1/clients/${publisher.id}`, {
    method: "DELETE",
    headers: { authorization: "Bearer secret" },
  });
  assert.equal(res.status, 204);
  assert.equal(stream.ended, true);
  internal.close();
  assert.equal(engine.clients.list().length, 0);
});

Deno.test("api v1: no token configured refuses changes with 403 naming --api-token", async () => {
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, { dashboard: false });
  const res = await app.request("/api/v1/clients/c-1", { method: "DELETE" });
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.equal(body.error.code, "forbidden");
  assert.match(body.error.message, /--api-token/);
  const missing = await app.request("/api/v1/nothing");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
  const stream = await app.request("/api/v1/streams/live/none");
  assert.equal(stream.status, 404);
});

Deno.test("api v1: server figures and endpoints", async () => {
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, {
    dashboard: false,
    api: {
      version: "9.9.9",
      endpoints: () => ({
        http: "http://127.0.0.1:1",
        rtmp: "rtmp://127.0.0.1:2",
      }),
      connections: () => ({ current: 3, limit: 10, refused: 1 }),
    },
  });
  const server = await (await app.request("/api/v1/server")).json();
  assert.equal(server.version, "9.9.9");
  assert.ok(server.memory.rss > 0 && server.memory.heapUsed > 0);
  assert.equal(typeof server.cpu.percent, "number");
  assert.deepEqual(server.connections, { current: 3, limit: 10, refused: 1 });
  assert.equal(server.endpoints.rtmp, "rtmp://127.0.0.1:2");
  assert.equal(server.endpoints.srt, null);
  assert.equal(server.endpoints.webrtc, false);
  assert.equal(server.bandwidth.inBitsPerSecond, 0);
});

Deno.test("api v1: the OpenAPI document lists every contract path", async () => {
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, { dashboard: false });
  const res = await app.request("/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = JSON.parse(await res.text());
  assert.equal(doc.openapi, "3.1.0");
  for (
    const path of [
      "/api/v1/openapi.json",
      "/api/v1/server",
      "/api/v1/streams",
      "/api/v1/streams/{app}/{name}",
      "/api/v1/clients",
      "/api/v1/clients/{id}",
      "/api/v1/recordings",
      "/api/v1/recordings/{app}/{name}",
      "/api/v1/recordings/{app}/{name}/download",
      "/api/v1/recordings/{app}/{name}/playlist.m3u8",
      "/api/v1/recordings/{app}/{name}/files/{file}",
      "/api/v1/recordings/{app}/{name}/hls/{folder}/{file}",
    ]
  ) assert.ok(path in doc.paths, path);
  assert.ok(doc.paths["/api/v1/clients/{id}"].delete);
  assert.ok(doc.paths["/api/v1/recordings/{app}/{name}"].delete);
  // Every $ref resolves.
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) {
    assert.ok(doc.components.schemas[ref.split("/").pop()!], ref);
  }
});

Deno.test("client registry: HLS sessions expire, the cap holds", () => {
  const clock = new ManualClock();
  const clients = new ClientRegistry({ clock, limit: 2 });
  clients.touchHls("live/a", "s1", "10.0.0.1");
  clients.touchHls("live/a", "s1", "10.0.0.1");
  clients.touchHls("live/a", "s2", "10.0.0.2");
  assert.deepEqual(clients.countsByProtocol("live/a"), { hls: 2 });
  // Full: a third client is not listed.
  const extra = clients.register(
    { kind: "viewer", protocol: "rtmp", stream: "live/a" },
    () => {},
  );
  extra.addSent(5);
  assert.equal(clients.size, 2);
  assert.equal(clients.refused, 1);
  clock.advance(9_000);
  clients.touchHls("live/a", "s1", "10.0.0.1");
  clock.advance(2_000); // s2 quiet for 11 s: gone; s1 for 2 s
  assert.deepEqual(clients.countsByProtocol("live/a"), { hls: 1 });
  clock.advance(10_000);
  assert.deepEqual(clients.countsByProtocol("live/a"), {});
  assert.equal(clients.list().length, 0);
});

Deno.test("api v1: a kicked HLS session is refused (403) for the session window", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const app = createHttpApp(engine, { apiToken: "t", dashboard: false });
  engine.startPublish("live/cam");
  const headers = { "user-agent": "player-1" };
  const playlist = () => app.request("/live/cam/index.m3u8", { headers });
  await (await app.request("/live/none/index.m3u8")).body?.cancel();
  assert.equal(engine.clients.list().length, 0); // not live: no session
  await (await playlist()).body?.cancel(); // 404 (no packager), a session
  const [session] = engine.clients.list();
  assert.equal(session?.protocol, "hls");
  const kicked = await app.request(`/api/v1/clients/${session!.id}`, {
    method: "DELETE",
    headers: { authorization: "Bearer t" },
  });
  assert.equal(kicked.status, 204);
  const refused = await playlist();
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  assert.equal(engine.clients.list().length, 0);
  // Another player is not refused.
  const other = await app.request("/live/cam/index.m3u8", {
    headers: { "user-agent": "player-2" },
  });
  assert.notEqual(other.status, 403);
  await other.body?.cancel();
  clock.advance(10_000); // the window passed: the session may come back
  const back = await playlist();
  assert.notEqual(back.status, 403);
  await back.body?.cancel();
});
