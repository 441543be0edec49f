// StreamHandle.egressTick: the stream owns one shared flush tick per period,
// on the engine's clock, fed by publishFrame; a burst fires it early so that
// viewers at the live edge are never resynced by coalescing.
import assert from "node:assert/strict";
import {
  type EgressTick,
  Engine,
  ManualClock,
  type MediaFrame,
  type StreamHandle,
  StreamKey,
  type Subscription,
} from "../../mod.ts";
import { StreamEgressTick } from "../../src/_egress_tick.ts";
import { assertCode, videoFrame } from "../_fakes.ts";

/** The egress loop of RTMP play / HTTP-FLV, minus the socket. */
async function egressLoop(
  sub: Subscription,
  tick: EgressTick,
  got: MediaFrame[],
): Promise<void> {
  const leave = tick.join();
  try {
    for (;;) {
      await sub.ready();
      if (!sub.isClosed) await tick.next();
      const frames = sub.takeAll();
      if (frames.length === 0) {
        if (sub.isClosed) return;
        continue;
      }
      for (const f of frames) got.push(f);
    }
  } finally {
    leave();
  }
}

/** Publish `count` frames, `perTask` per macrotask, 1 ms of clock per task. */
async function burst(
  stream: StreamHandle,
  clock: ManualClock,
  count: number,
  perTask: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    stream.publishFrame(videoFrame(i, i % 50 === 0, { size: 10 }));
    if ((i + 1) % perTask === 0) {
      clock.advance(1);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

async function run(
  tickOf: (stream: StreamHandle, clock: ManualClock) => EgressTick,
): Promise<{ resyncs: number; got: number[] }> {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock)
    .application({ name: "live", ringCapacity: 128, maxLagFrames: 64 })
    .build();
  let resyncs = 0;
  engine.events.on("lagResync", () => resyncs++);
  const stream = engine.startPublish(StreamKey.parse("live/burst"));
  const tick = tickOf(stream, clock);
  const views = [0, 1, 2].map(() => {
    const got: MediaFrame[] = [];
    const sub = stream.subscribeResilient({ waitForKeyframe: false });
    return { got, done: egressLoop(sub, tick, got) };
  });
  // 640 frames per 40 ms period: ten times the 64-frame lag limit.
  await burst(stream, clock, 2_000, 16);
  stream.end("done");
  let finished = false;
  const all = Promise.all(views.map((v) => v.done)).then(() => finished = true);
  while (!finished) {
    clock.advance(40); // the tail of the stream waits for its tick
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await all;
  return { resyncs, got: views.map((v) => v.got.length) };
}

Deno.test("egressTick: a burst of 10× the lag limit per period reaches every viewer whole (backlog trigger)", async () => {
  const { resyncs, got } = await run((stream) => stream.egressTick(40));
  assert.equal(resyncs, 0);
  assert.deepEqual(got, [2_000, 2_000, 2_000]);
});

Deno.test("egressTick: without the backlog trigger the same burst resyncs viewers (the f399e4b failure)", async () => {
  const { resyncs, got } = await run((_, clock) =>
    new StreamEgressTick(40, clock)
  );
  assert.ok(resyncs > 0, "expected resyncs without the backlog trigger");
  assert.ok(got.every((n) => n < 2_000));
});

Deno.test("egressTick: one tick per period, on the engine clock, early after half the lag limit", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock)
    .application({ name: "live", ringCapacity: 1024, maxLagFrames: 100 })
    .build();
  const stream = engine.startPublish(StreamKey.parse("live/cam"));
  const tick = stream.egressTick(40);
  assert.equal(stream.egressTick(40), tick);
  assert.notEqual(stream.egressTick(25), tick);
  assert.equal(stream.egressTick(0).periodMs, 0);
  assertCode(() => stream.egressTick(-1), "InvalidInput");
  assertCode(() => stream.egressTick(5_000), "InvalidInput");
  const timers = clock.pendingTimers; // the engine's own housekeeping
  const leave = tick.join();
  // Timer path: the engine's ManualClock fires it.
  let flushed = false;
  const wait = tick.next().then(() => flushed = true);
  clock.advance(39);
  await Promise.resolve();
  assert.equal(flushed, false);
  clock.advance(1);
  await wait;
  // Backlog path: 50 frames (half of maxLagFrames 100) fire it, 49 do not.
  flushed = false;
  const early = tick.next().then(() => flushed = true);
  for (let i = 0; i < 49; i++) stream.publishFrame(videoFrame(i, i === 0));
  await Promise.resolve();
  assert.equal(flushed, false);
  stream.publishFrame(videoFrame(49, false));
  await early;
  assert.equal(clock.pendingTimers, timers); // its timer was cancelled
  leave();
});

Deno.test("egressTick: the last viewer leaving fires a pending tick, so no timer outlives viewers", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish(StreamKey.parse("live/cam"));
  const tick = stream.egressTick(40);
  const timers = clock.pendingTimers;
  const leave = tick.join();
  const wait = tick.next();
  assert.equal(clock.pendingTimers, timers + 1);
  leave();
  await wait;
  assert.equal(clock.pendingTimers, timers);
});

Deno.test("egressTick: at most 8 distinct periods per stream (each costs every publish a compare)", async () => {
  await using engine = Engine.builder().build();
  const stream = engine.startPublish(StreamKey.parse("live/cam"));
  for (let period = 10; period <= 80; period += 10) stream.egressTick(period);
  assert.equal(stream.egressTick(40), stream.egressTick(40)); // existing ones stay available
  stream.egressTick(0); // "no coalescing" is not a tick
  assertCode(() => stream.egressTick(90), "LimitExceeded");
});
