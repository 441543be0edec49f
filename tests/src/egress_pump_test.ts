// EgressSession.pump on a ManualClock: the same batches as the iteration
// (replay at once, then one shared batch per tick, the very same bytes for
// every viewer), waiting for the tick with a callback and for a writer that
// returns a promise; what arrives meanwhile is the next batch; a throwing or
// rejecting writer, close(), the stream's end and an eviction each end it
// and release the viewer. Also the tick's push waiters (a waiter with no
// frames yet arms the timer at the next published frame, as `await
// sub.ready(); await tick.next()` does) and the ring's shared slice the pump
// takes.
import assert from "node:assert/strict";
import {
  type EgressFormat,
  Engine,
  JoinedEgress,
  ManualClock,
  type MediaFrame,
} from "../../mod.ts";
import { StreamEgressTick } from "../../src/_egress_tick.ts";
import { FrameRing } from "../../src/_frame_ring.ts";
import { videoFrame } from "../_fakes.ts";

/** A video frame whose payload says its time: [dts & 0xff, 1]. */
function frame(dts: number, keyframe = true): MediaFrame {
  return { ...videoFrame(dts, keyframe), data: Uint8Array.of(dts & 0xff, 1) };
}

/** A toy byte format: the payload. */
const raw: EgressFormat<Uint8Array> = { name: "raw", serialize: (f) => f.data };

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("egress pump: the replay at once, then one shared batch per tick for every viewer, as the iteration gives", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  const egress = new JoinedEgress(raw, { egressTickMs: 40 });
  const pushed: Uint8Array[][] = [[], [], []];
  const sessions = pushed.map(() => egress.open(stream));
  const done = sessions.map((s, i) =>
    s.pump((bytes) => {
      pushed[i]!.push(bytes);
      return undefined;
    })
  );
  const pulled = egress.open(stream)[Symbol.asyncIterator]();
  const replay = await pulled.next();
  for (const p of pushed) {
    assert.equal(p.length, 1); // the replay, without waiting for a tick
    assert.deepEqual([...p[0]!], [...replay.value!]);
  }
  const next = pulled.next();
  for (let dts = 20; dts <= 60; dts += 20) stream.publishFrame(frame(dts));
  await settle();
  assert.equal(pushed[0]!.length, 1); // nothing before the tick
  clock.advance(40);
  const batch = (await next).value!;
  for (const p of pushed) {
    assert.equal(p.length, 2);
    assert.equal(p[1], pushed[0]![1]); // the very same bytes for every viewer
    assert.deepEqual([...p[1]!], [...batch]);
  }
  assert.deepEqual([...batch], [20, 1, 40, 1, 60, 1]);
  // a tick with no new frame writes nothing; the next frame goes at the next tick
  clock.advance(40);
  await settle();
  assert.equal(pushed[0]!.length, 2);
  stream.publishFrame(frame(80));
  await settle();
  clock.advance(40);
  await settle();
  assert.deepEqual(pushed.map((p) => p.length), [3, 3, 3]);
  assert.deepEqual([...pushed[2]![2]!], [80, 1]);
  await pulled.return!();
  stream.end();
  await Promise.all(done); // the stream's end ends every pump
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("egress pump: a writer's promise holds the next batch back; what arrived meanwhile is the next batch", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  const egress = new JoinedEgress(raw, { egressTickMs: 40 });
  const session = egress.open(stream);
  const got: number[][] = [];
  let release: (() => void) | null = null;
  const done = session.pump((bytes) => {
    got.push([...bytes]);
    if (got.length !== 2) return undefined;
    return new Promise<void>((resolve) => (release = resolve)); // a full socket
  });
  stream.publishFrame(frame(20));
  await settle();
  clock.advance(40);
  await settle();
  assert.deepEqual(got, [[0, 1], [20, 1]]);
  for (let dts = 40; dts <= 100; dts += 20) {
    stream.publishFrame(frame(dts));
    clock.advance(40);
    await settle();
  }
  assert.equal(got.length, 2); // still writing the second batch
  release!();
  await settle();
  assert.equal(got.length, 2); // the next batch goes at the next tick
  clock.advance(40);
  await settle();
  assert.deepEqual(got[2], [40, 1, 60, 1, 80, 1, 100, 1]); // all of it, at once
  session.close("viewer left");
  await done;
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("egress pump: a writer that throws or rejects ends it with that error and releases the viewer", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  const egress = new JoinedEgress(raw, { egressTickMs: 40 });
  const thrown = new Error("Cannot write: broken pipe");
  await assert.rejects(
    egress.open(stream).pump(() => {
      throw thrown;
    }),
    (e) => e === thrown,
  );
  const rejected = new Error("Cannot write: connection reset");
  const second = egress.open(stream);
  let calls = 0;
  const done = second.pump(() =>
    ++calls === 1 ? undefined : Promise.reject(rejected)
  );
  stream.publishFrame(frame(20));
  await settle();
  clock.advance(40);
  await assert.rejects(done, (e) => e === rejected);
  assert.equal(calls, 2);
  assert.equal(second.subscription.isClosed, true);
  assert.equal(stream.subscriberCount, 0);
  assert.equal((stream.egressTick(40) as StreamEgressTick).members, 0);
});

Deno.test("egress pump: close() ends it at the next tick; an eviction ends it too", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  const egress = new JoinedEgress(raw, { egressTickMs: 40 });
  const kept = egress.open(stream); // keeps the tick alive
  const keptDone = kept.pump(() => undefined);
  const closing = egress.open(stream);
  const done = closing.pump(() => undefined);
  await settle();
  closing.close("viewer left");
  clock.advance(40);
  await done;
  assert.equal((await closing.subscription.closed).reason, "closed");

  // a viewer whose write never ends falls behind until the kernel evicts it
  const stuck = egress.open(stream);
  let writes = 0;
  const stuckDone = stuck.pump(() => {
    writes++;
    return new Promise<void>((resolve) =>
      stuck.subscription.closed.then(() => resolve())
    );
  });
  for (let i = 1; i <= 3_000 && !stuck.subscription.isClosed; i++) {
    stream.publishFrame(frame(i * 20, i % 50 === 0));
    if (i % 10 === 0) {
      clock.advance(200); // the kept viewer's ticks, and the stall clock
      await settle();
    }
  }
  await stuckDone;
  assert.equal(writes, 1);
  assert.equal((await stuck.subscription.closed).reason, "evicted");
  kept.close();
  await keptDone;
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("egress tick: push waiters are called at the flush, in order, before the promise; one registered during it waits for the next", async () => {
  const clock = new ManualClock();
  const tick = new StreamEgressTick(40, clock, 3);
  const order: string[] = [];
  const again = (): void => {
    order.push("again");
  };
  assert.equal(tick.onNext(() => order.push("a")), false);
  assert.equal(tick.armed, true);
  const promised = tick.next().then(() => order.push("promise"));
  assert.equal(
    tick.onNext(() => {
      order.push("b");
      assert.equal(tick.onNext(again), false); // the next flush, not this one
    }),
    false,
  );
  clock.advance(40);
  assert.deepEqual(order, ["a", "b"]); // synchronously, from the flush
  await promised;
  assert.deepEqual(order, ["a", "b", "promise"]);
  assert.equal(tick.armed, true); // "again" armed the next flush
  tick.published();
  tick.published();
  tick.published(); // a backlog of 3 fires it early
  assert.deepEqual(order, ["a", "b", "promise", "again"]);
  assert.equal(tick.earlyFlushes, 1);
  // a backlog with no tick armed: due now, nothing registered
  tick.published();
  tick.published();
  tick.published();
  assert.equal(tick.onNext(() => order.push("never")), true);
  assert.equal(tick.armed, false);
  assert.equal(new StreamEgressTick(0, clock).onNext(() => {}), true);
  // a waiter with no frames yet: the next published frame arms the timer
  const idle = new StreamEgressTick(40, clock, 100);
  let woken = 0;
  assert.equal(idle.onNext(() => woken++, false), false);
  assert.equal(idle.armed, false);
  clock.advance(200);
  assert.equal(woken, 0);
  idle.published();
  assert.equal(idle.armed, true);
  clock.advance(39);
  assert.equal(woken, 0);
  clock.advance(1); // the period runs from that frame
  assert.equal(woken, 1);
});

Deno.test("frame ring: the shared slice is one array for one range, a new one for another", () => {
  const ring = new FrameRing(8);
  for (let i = 0; i < 10; i++) ring.push(frame(i * 20)); // wraps
  const a = ring.sliceShared(5, 4);
  assert.equal(ring.sliceShared(5, 4), a);
  assert.deepEqual(a, ring.slice(5, 4));
  assert.deepEqual(a.map((f) => f.dts), [100, 120, 140, 160]);
  const b = ring.sliceShared(5, 5);
  assert.notEqual(b, a);
  assert.deepEqual(b.map((f) => f.dts), [100, 120, 140, 160, 180]);
});
