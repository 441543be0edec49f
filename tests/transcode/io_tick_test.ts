// The ladder's pipe I/O tick (transcode/_io_tick.ts) on a ManualClock: its
// waiters resume together at absolute multiples of the interval from one
// timer, closing releases them, interval 0 is no pacing; and pullFrames on a
// tick takes the frames published between two ticks in one batch.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { ManualClock } from "../../src/clock.ts";
import type { FramePoll } from "../../transcode/frame_batches.ts";
import { IoTick } from "../../transcode/_io_tick.ts";
import { pullFrames, StdinFeeder } from "../../transcode/_stdin_feeder.ts";
import { audioFrame } from "../_fakes.ts";

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

Deno.test("io tick: waiters resume together at the next multiple of the interval, from one timer", async () => {
  const clock = new ManualClock(1030);
  const tick = new IoTick(clock, 50);
  assert.equal(tick.active, true);
  const woke: string[] = [];
  void tick.wait().then(() => woke.push("a"));
  void tick.wait().then(() => woke.push("b"));
  assert.equal(clock.pendingTimers, 1);
  clock.advance(19); // 1049: not yet
  await flush();
  assert.equal(woke.join(), "");
  clock.advance(1); // 1050: the boundary
  await flush();
  assert.equal(woke.join(), "a,b");
  assert.equal(clock.pendingTimers, 0); // no waiter: no timer
  void tick.wait().then(() => woke.push("c"));
  clock.advance(49); // 1099
  await flush();
  assert.equal(woke.join(), "a,b");
  clock.advance(1);
  await flush();
  assert.equal(woke.join(), "a,b,c");
});

Deno.test("io tick: close releases every waiter and cancels the timer; interval 0 never waits", async () => {
  const clock = new ManualClock();
  const tick = new IoTick(clock, 40);
  let released = 0;
  void tick.wait().then(() => released++);
  void tick.wait().then(() => released++);
  tick.close();
  await flush();
  assert.equal(released, 2);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(tick.active, false);
  await tick.wait(); // at once
  const off = new IoTick(clock, 0);
  assert.equal(off.active, false);
  await off.wait();
  assert.equal(clock.pendingTimers, 0);
});

/** A FramePoll fed by hand; counts how often it was asked for frames. */
class HandPoll implements FramePoll {
  queue: MediaFrame[] = [];
  takes = 0;
  isClosed = false;
  #wake: (() => void) | undefined;
  push(frame: MediaFrame): void {
    this.queue.push(frame);
    this.#wake?.();
  }
  takeAll(): MediaFrame[] {
    this.takes++;
    return this.queue.splice(0);
  }
  ready(): Promise<void> {
    return new Promise((resolve) => this.#wake = resolve);
  }
  close(): void {
    this.isClosed = true;
    this.#wake?.();
  }
}

Deno.test("io tick: pullFrames takes the frames of a whole tick in one batch", async () => {
  const clock = new ManualClock();
  const tick = new IoTick(clock, 100);
  const poll = new HandPoll();
  const feeder = new StdinFeeder("flv", 1 << 20);
  const batches: number[] = [];
  let inBatch = 0;
  const done = pullFrames(poll, feeder, () => false, () => inBatch++, () => {
    batches.push(inBatch);
    inBatch = 0;
  }, tick);
  await flush();
  // Five frames over one tick: one wake-up, one batch of five.
  for (let i = 0; i < 5; i++) {
    poll.push(audioFrame(i * 20));
    clock.advance(19);
    await flush();
  }
  assert.equal(batches.join(), "");
  clock.advance(5); // 100
  await flush();
  assert.equal(batches.join(), "5");
  // The next tick's frames: again one batch.
  poll.push(audioFrame(100));
  poll.push(audioFrame(120));
  await flush();
  assert.equal(batches.join(), "5");
  clock.advance(100);
  await flush();
  assert.equal(batches.join(), "5,2");
  poll.close();
  clock.advance(100);
  tick.close();
  await done;
  assert.ok(poll.takes <= 5, `${poll.takes} takes for 2 batches`);
});
