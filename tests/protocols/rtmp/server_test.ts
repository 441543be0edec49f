import assert from "node:assert/strict";
import { ManualClock, type MediaFrame } from "../../../mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { audio, startServer, until, video } from "./_server.ts";

async function take(
  iter: AsyncIterator<MediaFrame>,
  n: number,
): Promise<MediaFrame[]> {
  const out: MediaFrame[] = [];
  while (out.length < n) {
    const r = await iter.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

Deno.test("RtmpHandler: a client publishes, a late player gets config + GOP then live frames", async () => {
  await using server = await startServer();
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish("cam");
  await publisher.writeMetadata({ width: 64, height: 64 });
  await publisher.writeFrames([
    video(0, true, { config: true }),
    audio(0, true),
    video(0, true),
    audio(20),
    video(40, false),
  ]);
  await until(() =>
    server.engine.getStream("live/cam") !== undefined &&
    server.engine.getStream("live/cam")!.gopCache.size >= 2
  );

  const sub = await RtmpClient.connect(server.url);
  const player = await sub.play("cam");
  const iter = player[Symbol.asyncIterator]();
  const replay = await take(iter, 6);
  assert.deepEqual(replay.map((f) => `${f.kind}:${f.config}:${f.dts}`), [
    "data:false:0",
    "video:true:0",
    "audio:true:0",
    "video:false:0",
    "audio:false:20",
    "video:false:40",
  ]);
  assert.equal(replay[3]!.keyframe, true);
  assert.equal(replay[5]!.pts, 80);
  assert.deepEqual(replay[5]!.data, video(40, false).data);
  await publisher.write(video(80, false));
  const [live] = await take(iter, 1);
  assert.equal(live!.dts, 80);

  await publisher.close();
  // the player sees the end of the stream
  const rest = await take(iter, 10);
  assert.equal(rest.length, 0);
  await pub.close();
  await sub.close();
  assert.deepEqual(server.errors, []);
});

Deno.test("RtmpHandler: a joining player gets its replay at once, not at the next flush tick; live frames wait for the tick on the engine clock", async () => {
  const clock = new ManualClock();
  await using server = await startServer({ clock }); // default egressTickMs 100
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish("cam");
  await publisher.writeFrames([
    video(0, true, { config: true }),
    video(0, true),
    video(40, false),
  ]);
  await until(() =>
    (server.engine.getStream("live/cam")?.gopCache.size ?? 0) >= 2
  );
  const sub = await RtmpClient.connect(server.url);
  const player = await sub.play("cam");
  const iter = player[Symbol.asyncIterator]();
  // The clock never moves: the replay must not wait for the 100 ms tick.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const replay = await Promise.race([
    take(iter, 3),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("replay waited")), 3_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(replay.map((f) => f.dts), [0, 0, 40]);
  await publisher.write(video(80, false));
  const next = iter.next();
  let arrived = false;
  void next.then(() => arrived = true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(arrived, false, "a live frame went out before its tick");
  clock.advance(100);
  assert.equal((await next).value?.dts, 80);
  await sub.close();
  await publisher.close();
  await pub.close();
  assert.deepEqual(server.errors, []);
});

Deno.test("RtmpHandler: second publisher to a live key is refused with Publish.BadName and leaves no state", async () => {
  await using server = await startServer();
  const a = await RtmpClient.connect(server.url);
  await a.publish("cam");
  const b = await RtmpClient.connect(server.url);
  await assert.rejects(
    () => b.publish("cam"),
    (e: unknown) => e instanceof StreamError && e.code === "AlreadyPublishing",
  );
  // b can still publish another key on the same connection
  await b.publish("other");
  assert.equal(server.engine.streams().length, 2);
  await a.close();
  await until(() => server.engine.getStream("live/cam") === undefined);
  await b.close();
  await until(() => server.engine.streams().length === 0);
});

Deno.test("RtmpHandler: play of a missing stream gets Play.StreamNotFound", async () => {
  await using server = await startServer();
  const c = await RtmpClient.connect(server.url);
  await assert.rejects(
    () => c.play("nothing"),
    (e: unknown) => e instanceof StreamError && e.code === "NotFound",
  );
  await c.close();
});

Deno.test("RtmpHandler: the authenticator sees app, name, query token and address", async () => {
  const seen: string[] = [];
  await using server = await startServer({
    auth: {
      authorize(req) {
        seen.push(
          `${req.action} ${req.key} ${req.credentials.token} ${req.credentials.remoteAddr} ${req.credentials.protocol}`,
        );
        return req.credentials.token === "good"
          ? { allowed: true }
          : { allowed: false, reason: "bad token" };
      },
    },
  });
  const c = await RtmpClient.connect(server.url);
  await assert.rejects(
    () => c.publish("cam?token=bad"),
    (e: unknown) => e instanceof StreamError && e.code === "Unauthorized",
  );
  assert.equal(server.engine.streams().length, 0);
  await c.publish("cam?token=good");
  const p = await RtmpClient.connect(`${server.url}?token=good`);
  await p.play("cam");
  assert.deepEqual(seen, [
    "publish live/cam bad 127.0.0.1 rtmp",
    "publish live/cam good 127.0.0.1 rtmp",
    "play live/cam good 127.0.0.1 rtmp",
  ]);
  await p.close();
  await c.close();
});

Deno.test("RtmpHandler: timestamps stay monotonic across the 32-bit wrap, end to end", async () => {
  await using server = await startServer();
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish("wrap");
  const base = 0xffffffff - 60;
  await publisher.writeFrames([
    video(base, true, { config: true }),
    video(base, true),
    video(base + 40, false),
    video(base + 80, false), // 0x1_0000_0013: written as 0x13 on the wire
  ]);
  await until(() =>
    (server.engine.getStream("live/wrap")?.gopCache.size ?? 0) === 3
  );
  const dts = server.engine.getStream("live/wrap")!.gopCache.replay()
    .filter((f) => !f.config).map((f) => f.dts);
  assert.deepEqual(dts, [base, base + 40, base + 80]);
  await pub.close();
});
