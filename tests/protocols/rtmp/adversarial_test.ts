// Misbehaving clients: the server disconnects them with an error event, keeps
// serving others, and its memory stays bounded.
import assert from "node:assert/strict";
import { ManualClock } from "../../../mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import {
  commandMessage,
  createClientAck,
  createClientHello,
  RtmpClient,
  setChunkSizeMessage,
  writeChunks,
} from "../../../protocols/rtmp/mod.ts";
import { startServer, type TestServer, until, video } from "./_server.ts";

async function readExact(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let f = 0;
  while (f < n) {
    const got = await conn.read(out.subarray(f));
    if (got === null) throw new Error("closed during handshake");
    f += got;
  }
  return out;
}

/** Raw socket that finished the handshake and sent connect. */
async function rawSession(server: TestServer): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(createClientHello());
  const s = await readExact(conn, 3073);
  await conn.write(createClientAck(s.subarray(1, 1537)));
  await conn.write(commandMessage(["connect", 1, { app: "live" }]));
  return conn;
}

/** Read until the server closes; true when it did within `ms`. */
async function closedByServer(conn: Deno.Conn, ms = 5000): Promise<boolean> {
  const buf = new Uint8Array(65536);
  const end = Date.now() + ms;
  try {
    while (Date.now() < end) {
      const n = await conn.read(buf);
      if (n === null) return true;
    }
    return false;
  } catch {
    return true; // reset by peer
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function stillServes(server: TestServer): Promise<void> {
  const c = await RtmpClient.connect(server.url);
  const p = await c.publish(`ok${Math.random().toString(36).slice(2)}`);
  await p.write(video(0, true, { config: true }));
  await c.close();
}

function errorCodes(server: TestServer): string[] {
  return server.errors.map((
    e,
  ) => (e instanceof StreamError ? e.code : String(e)));
}

Deno.test("adversarial: garbage bytes instead of a handshake", async () => {
  await using server = await startServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const junk = new Uint8Array(4000);
  crypto.getRandomValues(junk);
  junk[0] = 0x47; // not version 3
  await conn.write(junk);
  assert.ok(await closedByServer(conn));
  await until(() => server.errors.length > 0);
  assert.deepEqual(errorCodes(server), ["Protocol"]);
  await stillServes(server);
});

Deno.test("adversarial: truncated handshake times out on the engine clock", async () => {
  const clock = new ManualClock();
  await using server = await startServer({
    clock,
    rtmp: { handshakeTimeoutMs: 1000 },
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(createClientHello().subarray(0, 700));
  await until(() => server.rtmp.connectionCount === 1);
  clock.advance(999);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.rtmp.connectionCount, 1);
  clock.advance(1);
  assert.ok(await closedByServer(conn));
  await until(() => server.rtmp.connectionCount === 0);
  assert.deepEqual(errorCodes(server), ["Timeout"]);
});

Deno.test("adversarial: chunk size 0 and 2^31 are refused", async () => {
  await using server = await startServer();
  for (const size of [0, 0x80000000]) {
    const conn = await rawSession(server);
    const body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, size);
    await conn.write(
      writeChunks({ csid: 2, typeId: 1, streamId: 0, timestamp: 0 }, body, 128),
    );
    assert.ok(await closedByServer(conn));
  }
  await until(() => server.errors.length === 2);
  assert.deepEqual(errorCodes(server), ["Protocol", "Protocol"]);
  await stillServes(server);
});

Deno.test("adversarial: chunk stream id explosion is cut at MAX_CHUNK_STREAMS", async () => {
  await using server = await startServer();
  const conn = await rawSession(server);
  const parts: Uint8Array[] = [];
  for (let csid = 3; csid < 3 + 5000; csid++) {
    parts.push(
      writeChunks(
        { csid, typeId: 9, streamId: 1, timestamp: 0 },
        new Uint8Array(1),
        128,
      ),
    );
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  await conn.write(all).catch(() => 0);
  assert.ok(await closedByServer(conn));
  await until(() => server.errors.length > 0);
  assert.deepEqual(errorCodes(server), ["LimitExceeded"]);
});

Deno.test("adversarial: huge AMF strings and oversized messages", async () => {
  await using server = await startServer({
    rtmp: { maxMessageBytes: 4 << 20 },
  });
  // a long string (0x0C) of 2 MiB: over the AMF0 long-string limit
  const conn = await rawSession(server);
  const body = new Uint8Array(5 + (2 << 20));
  body[0] = 0x0c;
  new DataView(body.buffer).setUint32(1, 2 << 20);
  await conn.write(setChunkSizeMessage(60000));
  await conn.write(
    writeChunks(
      { csid: 3, typeId: 20, streamId: 0, timestamp: 0 },
      body,
      60000,
    ),
  ).catch(() => 0);
  assert.ok(await closedByServer(conn));
  // a message header declaring 16 MiB - 1 bytes, over maxMessageBytes
  const conn2 = await rawSession(server);
  await conn2.write(
    new Uint8Array([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]),
  );
  assert.ok(await closedByServer(conn2));
  await until(() => server.errors.length === 2);
  assert.deepEqual(errorCodes(server), ["InvalidInput", "LimitExceeded"]);
  await stillServes(server);
});

Deno.test("adversarial: a player that never reads is evicted; other players get every frame", async () => {
  await using server = await startServer({
    app: { ringCapacity: 256, maxLagFrames: 128, stallTimeoutMs: 1000 },
  });
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish("cam");
  await publisher.write(video(0, true, { config: true }));
  // the stuck player: its client queue holds 1 frame, then it stops reading
  const stuck = await RtmpClient.connect(server.url);
  await stuck.play("cam", { highWaterMark: 1 });
  const good = await RtmpClient.connect(server.url);
  const player = await good.play("cam");
  let received = 0; // count only: keeping 60 MB of frames would defeat the memory check
  const reading = (async () => {
    for await (const f of player) {
      if (!f.config) received++;
      if (f.dts === 1499 * 10) break;
    }
  })();
  // 1500 frames of 50 kB (75 MB). The only thing the server may hold for
  // the stuck player is the batch it is trying to write (≤ the ring).
  let maxPending = 0;
  for (let i = 0; i < 1500; i++) {
    await publisher.write(video(i * 10, i % 50 === 0, { size: 50_000 }));
    // pace like a live source: never more than 64 frames ahead of the good player
    if (i % 16 === 0) await until(() => received >= i - 64, 5000);
    maxPending = Math.max(maxPending, server.rtmp.pendingWriteBytes);
  }
  await reading;
  assert.ok(maxPending > 0, "the stuck player never blocked");
  assert.ok(maxPending <= 256 * 50_100, `server held ${maxPending} bytes`);
  // Once the stuck player is evicted and the last write drained, nothing is held.
  await until(() => server.rtmp.pendingWriteBytes === 0, 5000);
  assert.equal(received, 1500);
  assert.ok(errorCodes(server).includes("Evicted"));
  await pub.close();
  await good.close();
  await stuck.close();
});

Deno.test("adversarial: a slow player is resynced at a keyframe by the kernel while a fast one gets every frame", async () => {
  await using server = await startServer({
    // The publisher below writes flat out (hundreds of frames per 40 ms)
    // with the default 40 ms flush tick: the stream fires the tick early
    // after 32 frames (half the lag limit), so the fast player still gets
    // every frame.
    app: {
      ringCapacity: 128,
      maxLagFrames: 64,
      maxResyncs: 100,
      stallTimeoutMs: 60_000,
    },
  });
  const resyncs: number[] = [];
  server.engine.events.on("lagResync", (e) => resyncs.push(e.skipped));
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish("cam");
  await publisher.write(video(0, true, { config: true }));
  const slowClient = await RtmpClient.connect(server.url);
  const slow = await slowClient.play("cam", { highWaterMark: 4 });
  const fastClient = await RtmpClient.connect(server.url);
  const fast = await fastClient.play("cam");
  const TOTAL = 600;
  let fastCount = 0;
  const fastDone = (async () => {
    for await (const f of fast) {
      if (!f.config) fastCount++;
      if (f.dts === (TOTAL - 1) * 10) break;
    }
  })();
  const slowFrames: number[] = [];
  const slowDone = (async () => {
    for await (const f of slow) {
      if (!f.config) slowFrames.push(f.dts);
      if (f.dts === (TOTAL - 1) * 10) break;
      await new Promise((r) => setTimeout(r, 5)); // a 200 fps reader
    }
  })();
  for (let i = 0; i < TOTAL; i++) {
    await publisher.write(video(i * 10, i % 20 === 0, { size: 50_000 }));
    if (i % 16 === 0) await until(() => fastCount >= i - 64, 5000);
  }
  await fastDone;
  await slowDone;
  assert.equal(fastCount, TOTAL);
  assert.ok(resyncs.length > 0, "the slow player was never resynced");
  assert.ok(slowFrames.length < TOTAL);
  // after each gap the slow player restarts on a keyframe (every 20th frame)
  for (let k = 1; k < slowFrames.length; k++) {
    if (slowFrames[k]! - slowFrames[k - 1]! > 10) {
      assert.equal(
        (slowFrames[k]! / 10) % 20,
        0,
        `resumed at ${slowFrames[k]}`,
      );
    }
  }
  await pub.close();
  await slowClient.close();
  await fastClient.close();
});
