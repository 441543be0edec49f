import assert from "node:assert/strict";
import {
  type AppSpec,
  Engine,
  EvictedError,
  LaggedError,
  ManualClock,
  type MediaFrame,
  StreamKey,
} from "../../mod.ts";
import { FrameRing } from "../../src/_frame_ring.ts";
import type { LiveStream } from "../../src/_live_stream.ts";
import {
  assertCode,
  audioConfig,
  audioFrame,
  gop,
  RecordingObserver,
  videoConfig,
  videoFrame,
} from "../_fakes.ts";

function engineWith(
  app: AppSpec,
  observer = new RecordingObserver(),
): Engine {
  return Engine.builder().clock(new ManualClock()).application(app).observer(
    observer,
  ).build();
}

Deno.test("StreamHandle.publishFrame() preserves order for every subscriber", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish(StreamKey.parse("live/a"));
  const subs = Array.from(
    { length: 5 },
    () => stream.subscribe({ replay: false }),
  );
  const frames = gop(0, 50);
  for (const f of frames) stream.publishFrame(f);
  for (const sub of subs) {
    const got: MediaFrame[] = [];
    for (let f = sub.takeAll(7); f.length > 0; f = sub.takeAll(7)) {
      got.push(...f);
    }
    assert.deepEqual(got.map((f) => f.dts), frames.map((f) => f.dts));
    sub.close();
  }
});

Deno.test("1,000 subscribers all receive the identical frame objects", async () => {
  await using engine = engineWith({ name: "live", maxSubscribers: 1000 });
  const stream = engine.startPublish("live/many");
  const subs = Array.from({ length: 1000 }, () => stream.subscribe());
  const frames = gop(0, 30);
  for (const f of frames) assert.equal(stream.publishFrame(f), 1000);
  for (const sub of subs) {
    const got = sub.takeAll();
    assert.equal(got.length, frames.length);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], frames[i]);
  }
  for (const sub of subs) sub.close();
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("a plain subscriber that falls behind gets a Lagged error with the missed count", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 16,
    maxLagFrames: 16,
  });
  const stream = engine.startPublish("live/lag");
  const sub = stream.subscribe({ replay: false });
  for (const f of gop(0, 20)) stream.publishFrame(f);
  const error = assertCode<LaggedError>(() => sub.takeAll(), "Lagged");
  assert.ok(error instanceof LaggedError);
  assert.equal(error.missed, 20);
  assert.equal(sub.isClosed, true);
  assert.equal((await sub.closed).reason, "lagged");
  assert.equal(stream.subscriberCount, 0);
  assert.deepEqual(sub.takeAll(), []);
});

Deno.test("a late joiner starts with the config then the cached GOP, then live, with no gap or duplicate", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/late");
  const config = videoConfig();
  stream.publishFrame(config);
  const frames = [...gop(0, 10), ...gop(400, 5)];
  for (const f of frames) stream.publishFrame(f);
  const sub = stream.subscribe();
  const live = gop(600, 3);
  for (const f of live) stream.publishFrame(f);
  const got = sub.takeAll();
  // The replayed config is stamped at the joining point (the GOP's start).
  assert.deepEqual(got[0], { ...config, pts: 400, dts: 400 });
  assert.deepEqual(got.slice(1), [...frames.slice(10), ...live]);
  sub.close();
});

Deno.test("ready() resolves on publish and takeAll() batches", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/ready");
  const sub = stream.subscribe({ replay: false });
  const waiting = sub.ready();
  stream.publishFrame(videoFrame(0, true));
  stream.publishFrame(videoFrame(40, false));
  await waiting;
  assert.equal(sub.takeAll().length, 2);
  stream.end();
  await sub.ready();
  assert.deepEqual(sub.takeAll(), []);
  assert.equal(sub.isClosed, true);
});

Deno.test("a resilient subscriber that lags resumes at the newest keyframe and reports the skip", async () => {
  const observer = new RecordingObserver();
  await using engine = engineWith({
    name: "live",
    ringCapacity: 64,
    maxLagFrames: 32,
  }, observer);
  const stream = engine.startPublish("live/resync");
  const sub = stream.subscribeResilient({ replay: false });
  const frames = [...gop(0, 30), ...gop(1200, 15)]; // 45 frames, newest keyframe at index 30
  for (const f of frames) stream.publishFrame(f);
  const got = sub.takeAll();
  assert.equal(got[0], frames[30]);
  assert.deepEqual(got, frames.slice(30));
  assert.equal(sub.resyncs, 1);
  assert.equal(sub.skipped, 30);
  const [event] = observer.ofType("lagResync");
  assert.equal(event?.skipped, 30);
  assert.equal(event?.subscriberId, sub.id);
  assert.equal(stream.qos().resyncs, 1);
  assert.equal(stream.qos().skippedFrames, 30);
  // Live continues with no gap.
  const next = videoFrame(1800, false);
  stream.publishFrame(next);
  assert.deepEqual(sub.takeAll(), [next]);
  sub.close();
});

Deno.test("a resync that skipped a config change re-delivers the current configs first", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 64,
    maxLagFrames: 16,
  });
  const stream = engine.startPublish("live/reconfig");
  stream.publishFrame(videoConfig(0, 1));
  stream.publishFrame(videoFrame(0, true));
  const sub = stream.subscribeResilient();
  sub.takeAll();
  const config2 = videoConfig(40, 2);
  stream.publishFrame(config2);
  for (const f of gop(40, 10)) stream.publishFrame(f);
  const last = gop(440, 10);
  for (const f of last) stream.publishFrame(f);
  const got = sub.takeAll();
  assert.equal(got[0], config2);
  assert.deepEqual(got.slice(1), last);
  sub.close();
});

Deno.test("a resilient subscriber with no keyframe in reach skips to the next keyframe, never mid-GOP", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 16,
    maxLagFrames: 16,
    gopCacheFrames: 10,
  });
  const stream = engine.startPublish("live/longgop");
  const sub = stream.subscribeResilient({ replay: false });
  const long = gop(0, 40); // one 40-frame GOP, longer than the ring and the cache
  for (const f of long) stream.publishFrame(f);
  assert.deepEqual(sub.takeAll(), []); // nothing decodable yet
  const key = videoFrame(1600, true);
  stream.publishFrame(videoFrame(1600 - 1, false));
  stream.publishFrame(key);
  assert.deepEqual(sub.takeAll(), [key]);
  assert.ok(sub.skipped >= 40);
  sub.close();
});

Deno.test("a resilient subscriber that keeps lagging is evicted with a reason, and its slot is freed", async () => {
  const observer = new RecordingObserver();
  await using engine = engineWith({
    name: "live",
    ringCapacity: 16,
    maxLagFrames: 8,
    maxResyncs: 2,
  }, observer);
  const stream = engine.startPublish("live/slow");
  const sub = stream.subscribeResilient({ replay: false });
  const frames = () => {
    for (const f of gop(0, 5)) stream.publishFrame(f);
    for (const f of gop(200, 5)) stream.publishFrame(f);
  };
  frames();
  sub.takeAll(); // resync 1
  frames();
  sub.takeAll(); // resync 2
  frames();
  const error = assertCode<EvictedError>(() => sub.takeAll(), "Evicted");
  assert.ok(error instanceof EvictedError);
  assert.equal(error.reason, "slow");
  assert.equal((await sub.closed).reason, "evicted");
  assert.equal(stream.subscriberCount, 0);
  assert.equal(observer.ofType("subscriberEvicted")[0]?.reason, "slow");
  assert.equal(observer.ofType("subscriberLeft")[0]?.reason, "evicted");
  assert.equal(stream.qos().evictions, 1);
});

Deno.test("the engine tick evicts a subscriber that stopped reading while lagging", async () => {
  const clock = new ManualClock();
  const observer = new RecordingObserver();
  await using engine = Engine.builder().clock(clock).observer(observer)
    .application({
      name: "live",
      ringCapacity: 16,
      maxLagFrames: 8,
      stallTimeoutMs: 3_000,
    })
    .idleTimeout(60_000).build();
  const stream = engine.startPublish("live/stall");
  const stuck = stream.subscribe({ replay: false });
  const reader = stream.subscribe({ replay: false });
  for (let t = 0; t < 5_000; t += 100) {
    stream.publishFrame(videoFrame(t, t % 1000 === 0));
    reader.takeAll();
    clock.advance(100);
  }
  assert.equal(stuck.isClosed, true);
  assert.equal((await stuck.closed).error?.code, "Evicted");
  const reports = observer.ofType("subscribersLagging");
  assert.ok(
    reports.length >= 1 && reports.length <= 5,
    `${reports.length} reports`,
  );
  assert.deepEqual(reports[0], {
    type: "subscribersLagging",
    key: "live/stall",
    lagging: 1,
    subscribers: 2,
  });
  assert.equal(reader.isClosed, false);
  assertCode(() => stuck.takeAll(), "Evicted"); // the error is reported once
  assert.deepEqual(stuck.takeAll(), []);
  reader.close();
});

Deno.test("readable is pull-based and its cancel unsubscribes", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/readable");
  const sub = stream.subscribe({ replay: false });
  const frames = gop(0, 5);
  for (const f of frames) stream.publishFrame(f);
  const reader = sub.readable.getReader();
  for (const f of frames) assert.equal((await reader.read()).value, f);
  await reader.cancel("viewer left");
  assert.equal(sub.isClosed, true);
  assert.equal((await sub.closed).reason, "closed");
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("readable.pipeTo(sink) delivers everything then closes the sink at stream end", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/pipe");
  const sub = stream.subscribe({ replay: false });
  const seen: MediaFrame[] = [];
  let closed = false;
  const piped = sub.readable.pipeTo(
    new WritableStream<MediaFrame>({
      write(frame) {
        seen.push(frame);
      },
      close() {
        closed = true;
      },
    }),
  );
  const frames = gop(0, 20);
  for (const f of frames) stream.publishFrame(f);
  stream.end();
  await piped;
  assert.deepEqual(seen, frames);
  assert.equal(closed, true);
});

Deno.test("async iteration ends at stream end and break closes the subscription", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/iter");
  const a = stream.subscribe({ replay: false });
  const b = stream.subscribe({ replay: false });
  const frames = gop(0, 10);
  for (const f of frames) stream.publishFrame(f);
  let n = 0;
  for await (const f of b) {
    assert.equal(f, frames[n]);
    if (++n === 3) break;
  }
  assert.equal(b.isClosed, true);
  stream.end();
  const got: MediaFrame[] = [];
  for await (const f of a) got.push(f);
  assert.deepEqual(got, frames);
  assert.equal((await a.closed).reason, "ended");
});

Deno.test("close() ends next() at once, even with frames already batched", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/closing");
  const sub = stream.subscribe({ replay: false });
  for (const f of gop(0, 5)) stream.publishFrame(f);
  assert.ok(await sub.next());
  sub.close();
  assert.equal(await sub.next(), null);
  assert.deepEqual(sub.takeAll(), []);
});

Deno.test("close() while waiting in next() resolves it with null", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/wait");
  const sub = stream.subscribe();
  const pending = sub.next();
  sub.close("bye");
  assert.equal(await pending, null);
  assert.deepEqual(await sub.closed, { reason: "closed", detail: "bye" });
});

Deno.test("using releases the subscription and the subscriber count stays exact", async () => {
  await using engine = engineWith({ name: "live", maxSubscribers: 2 });
  const stream = engine.startPublish("live/using");
  {
    using _a = stream.subscribe();
    using _b = stream.subscribe();
    assert.equal(stream.subscriberCount, 2);
    assertCode(() => stream.subscribe(), "LimitExceeded");
  }
  assert.equal(stream.subscriberCount, 0);
  const c = stream.subscribe();
  c.close();
  c.close();
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("sequence numbers past 2^32 keep slots, order and lag exact (slot = seq % capacity)", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 8,
    maxLagFrames: 8,
  });
  const stream = engine.startPublish("live/wrap") as LiveStream;
  stream.ring.head = 2 ** 32 - 3; // as if 4 billion frames had been published
  const sub = stream.subscribe({ replay: false });
  const frames = gop(0, 7);
  for (const f of frames) stream.publishFrame(f);
  assert.equal(sub.lag, 7);
  assert.deepEqual(sub.takeAll(), frames);
  for (const f of gop(280, 9)) stream.publishFrame(f);
  assertCode(() => sub.takeAll(), "Lagged");
});

Deno.test("FrameRing wakes every waiter with one shared promise per publish", async () => {
  const ring = new FrameRing(4);
  const a = ring.wait();
  const b = ring.wait();
  assert.equal(a, b); // shared, not one per waiter
  ring.push(videoFrame(0, true));
  await Promise.all([a, b]);
  assert.notEqual(ring.wait(), a); // the next tick is created lazily
  ring.close();
  assert.equal(ring.at(0).dts, 0);
});

Deno.test("waiting subscribers share one wake-up promise (no per-subscriber allocation per frame)", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/wake");
  const subs = Array.from(
    { length: 100 },
    () => stream.subscribe({ replay: false }),
  );
  const waits = subs.map((s) => s.ready());
  assert.equal(new Set(waits).size, 1);
  const frame = videoFrame(0, true);
  stream.publishFrame(frame);
  await Promise.all(waits);
  for (const s of subs) assert.deepEqual(s.takeAll(), [frame]);
  for (const s of subs) s.close();
});

Deno.test("an audio-only late joiner gets the config and the recent audio window, then live, with no gap", async () => {
  await using engine = engineWith({ name: "live", gopCacheFrames: 5 });
  const stream = engine.startPublish("live/radio");
  const config = audioConfig();
  stream.publishFrame(config);
  const audio = Array.from({ length: 20 }, (_, i) => audioFrame(i * 21));
  for (const f of audio) stream.publishFrame(f);
  const sub = stream.subscribe();
  const live = audioFrame(500);
  stream.publishFrame(live);
  const at = audio[15]!.dts; // replayed config stamped at the joining point
  assert.deepEqual(sub.takeAll(), [
    { ...config, pts: at, dts: at },
    ...audio.slice(15),
    live,
  ]);
  sub.close();
});

Deno.test("a lagging resilient audio-only subscriber jumps to the head", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 16,
    maxLagFrames: 8,
  });
  const stream = engine.startPublish("live/radio");
  const sub = stream.subscribeResilient({ replay: false });
  for (let i = 0; i < 12; i++) stream.publishFrame(audioFrame(i * 21));
  assert.deepEqual(sub.takeAll(), []);
  assert.equal(sub.resyncs, 1);
  assert.equal(sub.skipped, 12);
  const next = audioFrame(300);
  stream.publishFrame(next);
  assert.deepEqual(sub.takeAll(), [next]);
  sub.close();
});

Deno.test("subscribing to an ended stream is refused; its handle resolves closed and drained", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/gone");
  const sub = stream.subscribe();
  stream.publishFrame(videoFrame(0, true));
  stream.end("bye");
  await stream.closed;
  assertCode(() => stream.subscribe(), "Closed");
  assert.equal(stream.endReason, "bye");
  assert.equal(sub.takeAll().length, 1);
  assert.deepEqual(sub.takeAll(), []);
  await stream.drained;
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("publishFrame() refuses a malformed frame before it reaches anyone", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/bad");
  const sub = stream.subscribe();
  const good = videoFrame(0, true);
  for (
    const bad of [
      { ...good, trackId: -1 },
      { ...good, trackId: 256 },
      { ...good, trackId: 0.5 },
      { ...good, kind: "subtitle" },
      { ...good, kind: "__proto__" },
      { ...good, data: [1, 2, 3] },
    ]
  ) {
    assertCode(
      () => stream.publishFrame(bad as unknown as MediaFrame),
      "InvalidInput",
    );
  }
  assert.deepEqual(sub.takeAll(), []);
  assert.equal(stream.qos().framesIn, 0);
  sub.close();
});
