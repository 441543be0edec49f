// The SRT listener's 10 ms tick runs only while it holds a connection or a
// handshake answer: an idle listener arms no timer (it used to wake the
// process 100 times a second with nothing to do), a caller starts the tick,
// and it stops again once the connection is gone and its answer expired.
import assert from "node:assert/strict";
import { type Clock, Engine, systemClock } from "../../../src/mod.ts";
import { SrtClient, SrtHandler } from "../../../protocols/srt/mod.ts";
import { until } from "./_srt_fixture.ts";

/** The system clock, counting the timers it arms, with time that can jump. */
class CountingClock implements Clock {
  armed = 0;
  offsetMs = 0;
  now(): number {
    return systemClock.now() + this.offsetMs;
  }
  setTimer(ms: number, fn: () => void): () => void {
    this.armed++;
    return systemClock.setTimer(ms, fn);
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("an idle SRT listener arms no timer; a connection ticks it until its answer expires", async () => {
  const clock = new CountingClock();
  const engine = Engine.builder().clock(clock).build();
  const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  const served = engine.serve([srt], controller.signal);
  try {
    const { port } = await srt.listening;
    const idle0 = clock.armed;
    await pause(300);
    assert.equal(clock.armed - idle0, 0, "timers armed by an idle listener");

    const pub = await SrtClient.connect({
      hostname: "127.0.0.1",
      port,
      streamId: "publish:live/idle",
    });
    const live0 = clock.armed;
    await pause(200);
    assert.ok(clock.armed - live0 >= 5, "the tick runs while connected");
    pub.close();
    await pub.closed;
    await until(() => srt.connectionCount === 0, 5_000, "connection closed");
    // the answer to late copies of the conclusion is kept 5 s: jump past it
    clock.offsetMs += 6_000;
    await pause(100);
    const after = clock.armed;
    await pause(300);
    assert.equal(clock.armed - after, 0, "timers armed once idle again");
  } finally {
    controller.abort();
    await engine.shutdown({ deadlineMs: 0 });
    await served;
  }
});
