import assert from "node:assert/strict";
import { ConnectionGate, ManualClock } from "../../../mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { startServer, until, video } from "./_server.ts";

Deno.test("RtmpHandler: connections past maxConnections are refused and reported", async () => {
  await using server = await startServer({ rtmp: { maxConnections: 2 } });
  const a = await RtmpClient.connect(server.url);
  const b = await RtmpClient.connect(server.url);
  await assert.rejects(() =>
    RtmpClient.connect(server.url, { timeoutMs: 2000 })
  );
  assert.equal(server.rtmp.refusedConnections, 1);
  assert.ok(
    server.errors.some((e) =>
      e instanceof StreamError && e.code === "LimitExceeded"
    ),
  );
  await a.close();
  await until(() => server.rtmp.connectionCount === 1);
  const c = await RtmpClient.connect(server.url); // room again
  await b.close();
  await c.close();
});

Deno.test("RtmpHandler: an idle publisher is dropped after idleTimeoutMs on the engine clock and its stream ends", async () => {
  const clock = new ManualClock();
  await using server = await startServer({
    clock,
    rtmp: { idleTimeoutMs: 4000 },
  });
  const c = await RtmpClient.connect(server.url);
  const p = await c.publish("cam");
  await p.write(video(0, true, { config: true }));
  await until(() =>
    server.engine.getStream("live/cam")?.gopCache.configFrames().length === 1
  );
  clock.advance(2000);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.rtmp.connectionCount, 1);
  clock.advance(2000);
  await until(() => server.rtmp.connectionCount === 0);
  assert.equal(server.engine.getStream("live/cam"), undefined);
  assert.ok(
    server.errors.some((e) => e instanceof StreamError && e.code === "Timeout"),
  );
  await c.closed;
  await c.close();
});

Deno.test("RtmpHandler: with onDuplicatePublish replace, the new publisher takes over and the old one is disconnected", async () => {
  await using server = await startServer({
    app: { onDuplicatePublish: "replace" },
  });
  const a = await RtmpClient.connect(server.url);
  await a.publish("cam");
  const b = await RtmpClient.connect(server.url);
  const pb = await b.publish("cam");
  await a.closed; // the server closed the replaced publisher
  await pb.write(video(0, true, { config: true }));
  await until(() =>
    server.engine.getStream("live/cam")?.gopCache.configFrames().length === 1
  );
  await a.close();
  await b.close();
});

Deno.test("RtmpHandler: shutdown closes publishers and players and serve() resolves", async () => {
  const server = await startServer();
  const a = await RtmpClient.connect(server.url);
  const p = await a.publish("cam");
  await p.write(video(0, true, { config: true }));
  const b = await RtmpClient.connect(server.url);
  const player = await b.play("cam");
  const drained = (async () => {
    let n = 0;
    for await (const _ of player) n++;
    return n;
  })();
  await server[Symbol.asyncDispose]();
  assert.equal(await drained, 1);
  await a.closed;
  await b.closed;
  await a.close();
  await b.close();
});

Deno.test("RtmpHandler: a ConnectionGate caps connections per IP before any per-connection cost", async () => {
  const gate = new ConnectionGate({ maxConnections: 10, maxPerIp: 1 });
  await using server = await startServer({ rtmp: { gate } });
  const a = await RtmpClient.connect(server.url);
  await assert.rejects(() =>
    RtmpClient.connect(server.url, { timeoutMs: 2000 })
  );
  assert.equal(gate.stats.maxPerIp, 1);
  assert.equal(server.rtmp.refusedConnections, 1);
  await a.close();
  await until(() => gate.active === 0);
  const b = await RtmpClient.connect(server.url);
  await b.close();
});

Deno.test("RtmpHandler: a play past maxSubscribers is refused with an error status, the connection stays usable", async () => {
  await using server = await startServer({ app: { maxSubscribers: 1 } });
  const pub = await RtmpClient.connect(server.url);
  await (await pub.publish("cam")).write(video(0, true, { config: true }));
  const a = await RtmpClient.connect(server.url);
  await a.play("cam");
  const b = await RtmpClient.connect(server.url);
  await assert.rejects(
    () => b.play("cam"),
    (e: unknown) => e instanceof StreamError && e.code === "LimitExceeded",
  );
  await (await b.publish("other")).write(video(0, true, { config: true }));
  assert.deepEqual(server.errors, []);
  await a.close();
  await b.close();
  await pub.close();
});
