// FrameChunkCache shared batches: players at the same cursor get the very
// same Uint8Array per batch (no per-player copy); a lagging player's batch is
// a different run and still the exact chunk bytes of its frames.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  DEFAULT_EGRESS_TICK_MS,
  Engine,
  JoinedEgress,
  ManualClock,
  StreamKey,
  type Subscription,
} from "../../../src/mod.ts";
import {
  FrameChunkCache,
  rtmpChunkFormat,
  RtmpHandler,
} from "../../../protocols/rtmp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

function frame(i: number): MediaFrame {
  const video = i % 2 === 0;
  return {
    kind: video ? "video" : "audio",
    codec: video ? "h264" : "aac",
    trackId: video ? 0 : 1,
    pts: i * 20,
    dts: i * 20,
    timescale: 1000,
    keyframe: !video || i === 0,
    config: false,
    data: new Uint8Array(video ? 300 : 40).fill(i & 0xff),
  };
}

function joined(cache: FrameChunkCache, frames: MediaFrame[]): number[] {
  return frames.flatMap((f) => [...cache.bytesOf(f)]);
}

Deno.test("FrameChunkCache: 100 players at the same cursor share one batch object; a lagging player gets its own exact bytes", async () => {
  await using engine = Engine.builder().build();
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  const cache = new FrameChunkCache(128); // several chunks per video frame
  handle.publishFrame(frame(0));
  const players: Subscription[] = [];
  for (let i = 0; i < 100; i++) players.push(handle.subscribeResilient());
  const lagging = handle.subscribeResilient();
  for (const p of players) cache.batchOf(p.takeAll());
  lagging.takeAll();
  const published: MediaFrame[] = [];
  for (let tick = 0; tick < 5; tick++) {
    const run = [1, 2, 3, 4].map((k) => frame(tick * 4 + k));
    for (const f of run) handle.publishFrame(f);
    published.push(...run);
    const batches = players.map((p) => cache.batchOf(p.takeAll()));
    for (const b of batches) assert.equal(b, batches[0], "same Uint8Array");
    assert.deepEqual([...batches[0]!], joined(cache, run));
  }
  const late = cache.batchOf(lagging.takeAll());
  assert.deepEqual([...late], joined(cache, published));
  assert.equal(cache.joined, 6); // 5 live runs + the lagging run
  assert.equal(cache.built, 21);
  assert.equal(cache.batchOf([frame(0)]).length > 0, true);
  for (const p of players) p.close();
  lagging.close();
  handle.end();
});

Deno.test("RtmpHandler validates egressTickMs when built, not at the first play", () => {
  assert.throws(() => new RtmpHandler({ egressTickMs: -1 }), StreamError);
  assert.throws(
    () => new JoinedEgress(rtmpChunkFormat(128), { egressTickMs: 5_000 }),
    StreamError,
  );
  assert.equal(new RtmpHandler({ egressTickMs: 0 }).name, "rtmp");
  assert.equal(
    new JoinedEgress(rtmpChunkFormat(128), { egressTickMs: 0 }).egressTickMs,
    0,
  );
});

Deno.test("RTMP egress waits on the stream's own tick (default 100 ms, engine clock); the replay does not", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const handle = engine.startPublish(StreamKey.parse("live/tick"));
  const first = frame(0);
  handle.publishFrame(first);
  const egress = new JoinedEgress(rtmpChunkFormat(128));
  assert.equal(egress.egressTickMs, DEFAULT_EGRESS_TICK_MS);
  assert.equal(DEFAULT_EGRESS_TICK_MS, 100);
  const session = egress.open(handle);
  const batches = session[Symbol.asyncIterator]();
  const replay = await batches.next(); // at once, no tick
  assert.equal(replay.value, egress.cacheOf(handle).bytesOf(first));
  const next = batches.next();
  handle.publishFrame(frame(1));
  let done = false;
  next.then(() => done = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(done, false); // waiting on the tick
  clock.advance(100); // the engine's clock drives it, not the system clock
  assert.ok((await next).value!.length > 0);
  session.close();
  handle.end();
});
