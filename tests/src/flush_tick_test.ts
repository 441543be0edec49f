// StreamEgressTick: one shared timer per stream; every waiter gets the same promise;
// the last member leaving fires at once; period 0 never arms a timer.
import assert from "node:assert/strict";
import {
  MAX_EGRESS_TICK_MS,
  StreamEgressTick,
} from "../../src/_egress_tick.ts";
import { ManualClock } from "../../src/mod.ts";
import { StreamError } from "../../media/stream_error.ts";

Deno.test("StreamEgressTick: all waiters share one promise and wake together after the period", async () => {
  const clock = new ManualClock();
  const tick = new StreamEgressTick(40, clock);
  const leave = tick.join();
  const woke: number[] = [];
  const waits = [0, 1, 2].map((i) => tick.next().then(() => woke.push(i)));
  assert.equal(tick.next(), tick.next());
  assert.ok(tick.armed);
  clock.advance(39);
  await Promise.resolve();
  assert.deepEqual(woke, []);
  clock.advance(1);
  await Promise.all(waits);
  assert.deepEqual(woke, [0, 1, 2]);
  assert.equal(tick.armed, false);
  // A new wait arms a new tick.
  const again = tick.next();
  assert.ok(tick.armed);
  clock.advance(40);
  await again;
  leave();
});

Deno.test("StreamEgressTick: the last member leaving fires a pending tick at once; leave is idempotent", async () => {
  const clock = new ManualClock();
  const tick = new StreamEgressTick(40, clock);
  const a = tick.join();
  const b = tick.join();
  const wait = tick.next();
  a();
  a();
  assert.equal(tick.members, 1);
  assert.ok(tick.armed);
  b();
  assert.equal(tick.members, 0);
  assert.equal(tick.armed, false);
  await wait; // resolved without advancing the clock
});

Deno.test("StreamEgressTick: period 0 never arms a timer; out-of-range periods are refused", async () => {
  const tick = new StreamEgressTick(0, new ManualClock());
  await tick.next();
  assert.equal(tick.armed, false);
  for (const bad of [-1, NaN, Infinity, MAX_EGRESS_TICK_MS + 1]) {
    assert.throws(
      () => new StreamEgressTick(bad, new ManualClock()),
      StreamError,
    );
  }
});

Deno.test("StreamEgressTick: a backlog of backlogFrames publishes fires a pending tick at once and resets the count", async () => {
  const clock = new ManualClock();
  const tick = new StreamEgressTick(40, clock, 3);
  const leave = tick.join();
  const wait = tick.next();
  tick.published();
  tick.published();
  assert.ok(tick.armed);
  tick.published();
  assert.equal(tick.armed, false);
  assert.equal(clock.pendingTimers, 0); // the timer was cancelled
  await wait;
  assert.equal(tick.earlyFlushes, 1);
  // The count restarted at the flush: the next tick waits for its period.
  const again = tick.next();
  tick.published();
  tick.published();
  assert.ok(tick.armed);
  clock.advance(40);
  await again;
  assert.equal(tick.earlyFlushes, 1);
  leave();
});

Deno.test("StreamEgressTick: next() after a backlog built up with no tick armed resolves at once", async () => {
  const clock = new ManualClock();
  const tick = new StreamEgressTick(40, clock, 2);
  tick.published();
  tick.published();
  tick.published();
  await tick.next(); // no clock advance
  assert.equal(tick.armed, false);
  assert.equal(clock.pendingTimers, 0);
  // Backlog consumed: the next wait arms the timer again.
  const wait = tick.next();
  assert.ok(tick.armed);
  clock.advance(40);
  await wait;
  assert.throws(() => new StreamEgressTick(40, clock, 0), StreamError);
});

Deno.test("StreamEgressTick: period 0 ignores the backlog (nothing to fire)", async () => {
  const tick = new StreamEgressTick(0, new ManualClock(), 1);
  tick.published();
  await tick.next();
  assert.equal(tick.earlyFlushes, 0);
});
